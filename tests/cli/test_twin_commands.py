"""`dangan twin pair|accept` and `dangan backup key` against a real twin (sshd on loopback) and real borg."""

import os
import re

import pytest
from click.testing import CliRunner

from appliance.adapters.borg import DEFAULT_BORG_BINARY, BorgError
from appliance.adapters.ssh_twin import host_key_fingerprint
from appliance.backup_wiring import require_borg
from appliance.cli.twin import paper_key_command
from appliance.config import load_config
from tests.support.cli import dangan_runner
from tests.support.twin import PASSPHRASE, running_twin


@pytest.fixture
def twin(tmp_path):
    with running_twin(tmp_path) as twin:
        yield twin


@pytest.fixture
def box(monkeypatch, tmp_path, twin):
    """A box whose config names a second repository on the twin, with no key or pinned host key yet."""
    home = tmp_path / "home"
    (tmp_path / "dangan.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("DANGAN_CONFIG", str(tmp_path / "dangan.toml"))
    monkeypatch.setenv("DANGAN_HOME", str(home))
    monkeypatch.setenv("DANGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.sqlite'}")
    repository = twin.repository_path.with_name("box2")
    monkeypatch.setenv("DANGAN_BACKUP_REPOSITORY", f"ssh://{twin.user}@127.0.0.1:{twin.port}{repository}")
    (home / "secrets").mkdir(parents=True, mode=0o700)
    (home / "secrets" / "borg-passphrase").touch(mode=0o600)
    (home / "secrets" / "borg-passphrase").write_text(PASSPHRASE, encoding="utf-8")
    return home


@pytest.fixture
def dangan(monkeypatch, capsys):
    return dangan_runner(monkeypatch, capsys)


def pair(dangan) -> tuple[str, str]:
    code, out, err = dangan("twin", "pair", "--twin-borg", DEFAULT_BORG_BINARY)
    assert code == 0, err
    return out, out.strip().splitlines()[-1]


def test_pair_makes_the_key_pins_the_host_and_prints_the_line(dangan, box, twin):
    out, line = pair(dangan)
    key = box / "secrets" / "twin_ed25519"
    assert oct(key.stat().st_mode & 0o777) == "0o600" and "(created)" in out
    assert host_key_fingerprint(twin.host_key.with_suffix(".pub")) in out
    assert line.startswith(f'command="{DEFAULT_BORG_BINARY} serve --append-only --restrict-to-repository ')
    assert line.endswith(",restrict " + " ".join(key.with_suffix(".pub").read_text().split()[:2])
                         + " " + line.split()[-1])
    again, same_line = pair(dangan)
    assert same_line == line and "(kept)" in again and "already pinned" in again


def test_pair_refuses_a_changed_host_key_until_told_to_repin(dangan, box, twin):
    pair(dangan)
    pinned = (box / "secrets" / "twin_known_hosts").read_text()
    twin.new_host_key()
    code, _, err = dangan("twin", "pair")
    assert code == 1 and re.search(r"host key of 127\.0\.0\.1:\d+ changed: pinned SHA256:\S+, now SHA256:", err)
    assert (box / "secrets" / "twin_known_hosts").read_text() == pinned
    code, out, _ = dangan("twin", "pair", "--repin")
    assert code == 0 and host_key_fingerprint(twin.host_key.with_suffix(".pub")) in out and "pinned now" in out


def test_pair_needs_a_remote_repository(dangan, box, monkeypatch, tmp_path):
    monkeypatch.setenv("DANGAN_BACKUP_REPOSITORY", str(tmp_path / "usb"))
    code, _, err = dangan("twin", "pair")
    assert code == 1 and "local path: there is no twin" in err
    monkeypatch.setenv("DANGAN_BACKUP_REPOSITORY", "twin.example:/srv/borg/box1")
    code, _, err = dangan("twin", "pair")
    assert code == 1 and "use ssh://user@host:port/absolute/path" in err


def test_an_accepted_line_lets_the_box_back_up_append_only(dangan, box, twin):
    _, line = pair(dangan)
    authorized_keys = twin.directory / "authorized_keys"
    authorized_keys.write_text("", encoding="utf-8")  # the fixture's own grant gone: only the accepted line works
    root = str(twin.repository_path.parent)
    code, out, err = dangan("twin", "accept", "--line", line, "--authorized-keys", str(authorized_keys),
                            "--root", root)
    assert code == 0, err
    assert "added to" in out and twin.repository_path.with_name("box2").is_dir()
    code, out, _ = dangan("twin", "accept", "--line", line, "--authorized-keys", str(authorized_keys), "--root", root)
    assert code == 0 and "already in" in out
    assert authorized_keys.read_text().splitlines() == [line]
    refused = CliRunner().invoke(paper_key_command(), [])  # nothing to export before the repository exists
    assert isinstance(refused.exception, BorgError) and "is not a valid repository" in str(refused.exception)
    require_borg(load_config()).init()  # over the accepted line, with the key `pair` made
    result = CliRunner().invoke(paper_key_command(), [])
    assert result.exit_code == 0 and "BORG PAPER KEY v1" in result.output
    assert "printed and kept offline" in paper_key_command().help


def test_accept_refuses_a_line_that_grants_more_and_changes_nothing(dangan, tmp_path):
    authorized_keys = tmp_path / "authorized_keys"
    good = (f'command="borg serve --append-only --restrict-to-repository {tmp_path}/twins/box1",restrict '
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPq4lGsVT1o8GkfH1WImeZRUcyaT1w/8Y1xvgRwtKXr dangan@box1")
    for bad, reason in ((good.replace(" --append-only", ""), "lacks --append-only"),
                        (good.replace(",restrict", ",restrict,agent-forwarding"), "not exactly"),
                        (good.replace("/twins/box1", "/elsewhere/box1"), "outside")):
        code, _, err = dangan("twin", "accept", "--line", bad, "--authorized-keys", str(authorized_keys),
                              "--root", str(tmp_path / "twins"))
        assert code == 1 and reason in err
    assert not authorized_keys.exists() and not (tmp_path / "twins").exists()
    code, _, err = dangan("twin", "accept", "--line", good, "--authorized-keys", str(authorized_keys),
                          "--root", str(tmp_path / "twins"))
    assert code == 0, err
    assert oct(os.stat(authorized_keys).st_mode & 0o777) == "0o600"
