"""The pure parts of the borg adapter and of the twin's pairing: arguments, environment, the twin's line."""

import base64
import shlex
from pathlib import Path

import pytest

from appliance.adapters.borg import archives_of, progress_of, state_of, stats_of
from appliance.adapters.borg_arguments import (
    borg_environment,
    create_arguments,
    delete_arguments,
    extract_arguments,
    prune_arguments,
    ssh_command,
)
from appliance.adapters.ssh_twin import authorized_keys_line, parse_repository, parse_twin_line
from appliance.domain.backup import RunState
from appliance.domain.errors import InvalidInputError

REPOSITORY = "ssh://dangan@twin.example:2222/srv/borg/box1"
KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32)).decode()
BORG = "/opt/dangan/.venv/bin/borg"
LINE = f'command="{BORG} serve --append-only --restrict-to-repository /srv/borg/box1",restrict {KEY} dangan@box1'


def test_create_stores_paths_relative_to_the_base_after_a_double_dash():
    arguments = create_arguments(REPOSITORY, "box1-2024-05-01T02:30", ["blobs", "database.sqlite"], progress=True)
    assert arguments[0] == "create" and "--json" in arguments and "--progress" in arguments
    assert arguments[-4:] == [f"{REPOSITORY}::box1-2024-05-01T02:30", "--", "blobs", "database.sqlite"]


@pytest.mark.parametrize("path", ["/etc/passwd", "../elsewhere", "--remote-path=evil", ""])
def test_create_refuses_a_path_outside_the_base(path):
    with pytest.raises(InvalidInputError, match="relative to the base"):
        create_arguments(REPOSITORY, "archive", [path])


@pytest.mark.parametrize("name", ["-x", "a/b", "", "name with space", "a" * 201])
def test_an_archive_name_borg_would_misread_is_refused(name):
    with pytest.raises(InvalidInputError, match="archive name"):
        delete_arguments(REPOSITORY, name)


def test_extract_and_prune_arguments():
    assert extract_arguments("/backups/local", "a1", ["home/blobs"]) == [
        "extract", "/backups/local::a1", "--", "home/blobs"]
    assert prune_arguments(REPOSITORY, 7, 4, 12) == [
        "prune", "--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "12", REPOSITORY]
    with pytest.raises(InvalidInputError, match="1 or more"):
        prune_arguments(REPOSITORY, 0, 4, 12)


def test_ssh_uses_only_the_box_key_and_the_pinned_host_key():
    words = shlex.split(ssh_command(Path("/home/d/secrets/twin key"), Path("/home/d/secrets/twin_known_hosts")))
    assert words[:3] == ["ssh", "-i", "/home/d/secrets/twin key"]
    for option in ("IdentitiesOnly=yes", "StrictHostKeyChecking=yes", "BatchMode=yes", "ConnectTimeout=10",
                   "UserKnownHostsFile=/home/d/secrets/twin_known_hosts", "GlobalKnownHostsFile=/dev/null"):
        assert option in words


def test_the_environment_holds_no_passphrase_and_no_inherited_borg_setting(tmp_path):
    inherited = {"PATH": "/usr/bin", "BORG_PASSPHRASE": "leaked", "BORG_REPO": "/elsewhere", "HOME": "/root"}
    environment = borg_environment(inherited, tmp_path, "ssh")
    assert "BORG_PASSPHRASE" not in environment and "BORG_REPO" not in environment
    assert "leaked" not in " ".join(environment.values())
    assert environment["PATH"] == "/usr/bin" and environment["LANG"] == "C.UTF-8"
    assert environment["BORG_CONFIG_DIR"] == str(tmp_path / "config")
    assert environment["BORG_CACHE_DIR"] == str(tmp_path / "cache")
    assert environment["BORG_RELOCATED_REPO_ACCESS_IS_OK"] == "no"
    assert environment["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] == "no"


def test_exit_codes_map_to_states():
    assert [state_of(code) for code in (0, 1, 2, 128 + 9)] == [
        RunState.OK, RunState.WARNING, RunState.FAILED, RunState.FAILED]


def test_borg_answers_are_read():
    listing = {"archives": [{"name": "a1", "id": "ab12", "time": "2024-05-01T02:30:00.000000"}]}
    [archive] = archives_of(listing)
    assert (archive.name, archive.id, archive.time.isoformat()) == ("a1", "ab12", "2024-05-01T02:30:00+00:00")
    stats = stats_of({"archive": {"stats": {"nfiles": 3}},
                      "cache": {"stats": {"total_size": 3000, "unique_csize": 1000}}})
    assert stats == {"archive_nfiles": 3, "repository_total_size": 3000, "repository_unique_csize": 1000,
                     "dedup_ratio": 3.0}
    assert progress_of({"nfiles": 2, "original_size": 10, "path": "blobs/ab"})["path"] == "blobs/ab"


def test_repositories_are_ssh_urls_or_absolute_paths():
    location = parse_repository(REPOSITORY)
    assert (location.user, location.host, location.port, location.path) == (
        "dangan", "twin.example", 2222, "/srv/borg/box1")
    assert parse_repository("/media/usb/dangan").remote is False
    for bad in ("dangan@twin:/srv/borg/box1", "relative/repo", "ssh://twin/srv/borg", "ssh://u@twin:99999/x",
                "ssh://u@twin/srv/../etc", "ssh://u@twin/srv/with space", "ssh://u@twin"):
        with pytest.raises(InvalidInputError, match="repository"):
            parse_repository(bad)


def test_the_line_the_box_prints_is_the_line_the_twin_accepts():
    line = authorized_keys_line(KEY, "/srv/borg/box1", "dangan@box1", borg=BORG)
    assert line == LINE
    grant = parse_twin_line(line, root=Path("/srv/borg"))
    assert (grant.borg, grant.repository_path, grant.public_key, grant.comment) == (
        BORG, Path("/srv/borg/box1"), KEY, "dangan@box1")


@pytest.mark.parametrize(("line", "reason"), [
    (LINE.replace(" --append-only", ""), "lacks --append-only"),
    (LINE.replace(" --restrict-to-repository /srv/borg/box1", " /srv/borg/box1"), "lacks --restrict-to-repository"),
    (LINE.replace(",restrict", ",restrict,port-forwarding"), "not exactly"),
    (LINE.replace(",restrict", ""), "not exactly"),
    ('from="10.0.0.1",' + LINE, "not exactly"),
    (LINE.replace("serve", "serve --storage-quota 1G"), "not exactly"),
    (LINE.replace("box1\"", "box1; rm -rf /\""), "not exactly"),
    (LINE + "\n" + LINE, "one line"),
    (LINE.replace("ssh-ed25519", "ssh-rsa"), "not exactly"),
    (LINE.replace(KEY.split()[1], base64.b64encode(b"\x00\x00\x00\x07ssh-rsa").decode()), "not an ed25519"),
    (LINE.replace(BORG, "/tmp/evil"), "not exactly"),
])
def test_a_line_that_grants_more_is_refused(line, reason):
    with pytest.raises(InvalidInputError, match=reason):
        parse_twin_line(line, root=Path("/srv/borg"))


@pytest.mark.parametrize("path", ["/srv/other/box1", "/srv/borg/../../etc", "/srv/borgx/box1", "/srv/borg"])
def test_a_repository_outside_the_twin_root_is_refused(path):
    with pytest.raises(InvalidInputError, match="outside|without '..'"):
        parse_twin_line(LINE.replace("/srv/borg/box1", path), root=Path("/srv/borg"))
