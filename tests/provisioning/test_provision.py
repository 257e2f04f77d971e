"""`dangan provision --answers F --root DIR` on a temp root: what it writes, and that a second run changes nothing."""

import re
import socket
import ssl
import stat
import threading
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli.main import cli
from appliance.config import ENV_CONFIG, load_config
from appliance.domain.accounts import LoginStatus, Role
from appliance.services.accounts import authenticate, list_users
from provisioning.certificates import TlsPair, alternative_names, check_pair, fingerprint
from provisioning.layout import Layout
from provisioning.settings import CREDENTIALS
from tests.provisioning.conftest import GIVEN_PASSWORD, files_under, open_box, write_answers

PRINTED_PASSWORD = re.compile(r"^  (\S+) +(\S+)$", re.MULTILINE)
pytestmark = pytest.mark.slow  # each module fixture provisions a box: argon2 three times, ssh-keygen -A


def provision(answers: Path, root: Path, *extra: str):
    result = CliRunner().invoke(cli, ["provision", "--answers", str(answers), "--root", str(root), *extra])
    return result


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """A root provisioned once from the shared answers; (root, answers file, the first run's output)."""
    base = tmp_path_factory.mktemp("box")
    root = base / "root"
    root.mkdir()
    answers = write_answers(base / "stick")
    result = provision(answers, root)
    assert result.exit_code == 0, result.output
    return root, answers, result.output


def account_state(root: Path) -> dict:
    appliance = open_box(root)
    try:
        accounts = list_users(appliance.uow_factory)
        with appliance.uow_factory(read_only=True) as uow:
            events = {account.username: [event.action for event in uow.audit.events_for("user", account.username)]
                      for account in accounts}
        return {account.username: (account.display_name, set(account.roles), account.must_change_password,
                                   account.totp_required, account.password_hash, events[account.username])
                for account in accounts}
    finally:
        appliance.close()


def test_hostname_and_time_zone_files(box):
    root, _, _ = box
    assert (root / "etc/hostname").read_text() == "dangan-07\n"
    assert "127.0.1.1\tdangan-07" in (root / "etc/hosts").read_text().splitlines()
    assert "127.0.0.1\tlocalhost" in (root / "etc/hosts").read_text()
    assert (root / "etc/localtime").is_symlink()
    assert str((root / "etc/localtime").readlink()) == "/usr/share/zoneinfo/Asia/Shanghai"
    assert (root / "etc/timezone").read_text() == "Asia/Shanghai\n"


def test_config_loads_and_points_at_the_home_and_the_credentials(box):
    root, _, _ = box
    config = load_config({ENV_CONFIG: str(root / "etc/dangan/dangan.toml")})
    assert config.home == Path("/var/lib/dangan") and config.web.timezone == "Asia/Shanghai"
    assert not config.backup.enabled
    raw = tomllib.loads((root / "etc/dangan/dangan.toml").read_text())
    assert raw["web"]["certificate"] == str(CREDENTIALS / "tls-certificate")
    assert raw["web"]["certificate_key"] == str(CREDENTIALS / "tls-key")


def test_exactly_the_three_administrators_each_must_change_the_password_and_set_up_totp(box):
    root, _, output = box
    state = account_state(root)
    assert {name: (display, roles) for name, (display, roles, *_) in state.items()} == {
        "sysadmin": ("张三", {Role.SYSTEM_ADMIN}), "secadmin": ("李四", {Role.SECURITY_ADMIN}),
        "auditadmin": ("王五", {Role.AUDIT_ADMIN})}
    assert all(must_change and totp for _, _, must_change, totp, _, _ in state.values())
    assert all(events == ["account.create"] for *_, events in state.values())
    printed = dict(PRINTED_PASSWORD.findall(output))
    assert sorted(printed) == ["auditadmin", "secadmin"]  # sysadmin's was in the answers: never printed
    assert GIVEN_PASSWORD not in output and output.count(printed["secadmin"]) == 1
    appliance = open_box(root)
    try:
        for username, password in [*printed.items(), ("sysadmin", GIVEN_PASSWORD)]:
            outcome = authenticate(appliance.uow_factory, appliance.passwords, username, password, "192.0.2.9")
            assert outcome.status is LoginStatus.MUST_CHANGE_PASSWORD
    finally:
        appliance.close()


def test_the_generated_passwords_are_kept_nowhere_on_disk(box):
    root, _, output = box
    printed = dict(PRINTED_PASSWORD.findall(output))
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            assert not any(password.encode() in content for password in printed.values()), path


def test_the_certificate_names_the_box_and_its_key_matches(box):
    root, _, _ = box
    layout = Layout(root)
    pair = TlsPair(layout.certificate.read_bytes(), layout.certificate_key.read_bytes())
    certificate = check_pair(pair)
    assert alternative_names(pair.certificate) == ["dangan-07", "dangan-07.local", "localhost",
                                                   "archive.example.cn", "192.0.2.10"]
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 3650 <= lifetime.days <= 3655
    assert stat.S_IMODE(layout.certificate_key.stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["localhost", "dangan-07.local", "192.0.2.10"])
def test_a_client_trusting_the_certificate_verifies_the_console_by_its_names(box, name):
    """What a browser told to trust the console's certificate does, reaching the box by any of its names."""
    root, _, _ = box
    layout = Layout(root)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(layout.certificate, layout.certificate_key)
    client = ssl.create_default_context(cafile=str(layout.certificate))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        answered = threading.Thread(target=_answer_once, args=(listener, server), daemon=True)
        answered.start()
        with (socket.create_connection(listener.getsockname()) as raw,
              client.wrap_socket(raw, server_hostname=name) as connection):
            assert connection.recv(2) == b"ok"
        answered.join(10)


def _answer_once(listener: socket.socket, context: ssl.SSLContext) -> None:
    connection, _ = listener.accept()
    with context.wrap_socket(connection, server_side=True) as secured:
        secured.sendall(b"ok")


def test_ssh_host_keys_and_it_s_authorized_key(box):
    root, answers, _ = box
    for kind in ("rsa", "ecdsa", "ed25519"):
        assert (root / f"etc/ssh/ssh_host_{kind}_key").is_file()
        assert (root / f"etc/ssh/ssh_host_{kind}_key.pub").is_file()
    authorized = root / "root/.ssh/authorized_keys"
    given = tomllib.loads(answers.read_text())["ssh"]["authorized_keys"]
    assert authorized.read_text().splitlines() == given
    assert stat.S_IMODE(authorized.stat().st_mode) == 0o600
    assert stat.S_IMODE(authorized.parent.stat().st_mode) == 0o700


def test_the_marker_is_written_and_the_machine_id_left_to_systemd(box):
    root, _, output = box
    assert (root / "var/lib/dangan/.provisioned").read_text().startswith("provisioned ")
    assert not (root / "etc/machine-id").exists()
    assert "machine-id: empty: systemd makes this box's own at first boot" in output


def test_a_second_run_changes_nothing(box):
    root, answers, _ = box
    before_files, before_accounts = files_under(root), account_state(root)
    before_certificate = fingerprint((root / "etc/dangan/tls/console.crt").read_bytes())
    result = provision(answers, root)
    assert result.exit_code == 0, result.output
    assert files_under(root) == before_files  # not one file rewritten, the database included
    assert account_state(root) == before_accounts  # same hashes, no new audit events
    assert fingerprint((root / "etc/dangan/tls/console.crt").read_bytes()) == before_certificate
    assert PRINTED_PASSWORD.findall(result.output) == [] and "one-time" not in result.output
    for line in ("hostname: already dangan-07", "time zone: already Asia/Shanghai", "administrators: already there",
                 "certificate: kept", "ssh host keys: already made", "ssh access: already there"):
        assert line in result.output
