"""Runs beyond the first: a run cut short and finished by the next, an imported certificate, a changed answer, the
service user's ownership, and --first-boot finding the answers under the root."""

import pytest

from appliance.services.accounts import list_users
from provisioning.certificates import fingerprint
from tests.provisioning.conftest import ANSWERS, GIVEN_PASSWORD, open_box, write_answers
from tests.provisioning.test_answers import TLS, write_pair
from tests.provisioning.test_backup import TWIN_HOST_KEY

pytestmark = pytest.mark.slow  # each test provisions a box (argon2, ssh-keygen -A)


def usernames(root) -> list[str]:
    appliance = open_box(root)
    try:
        return sorted(account.username for account in list_users(appliance.uow_factory))
    finally:
        appliance.close()


def test_a_run_cut_short_is_finished_by_the_next(dangan, tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/ssh").write_text("in the way\n")  # the ssh host key step cannot make its directory
    answers = write_answers(tmp_path / "stick")
    code, output, error = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 1 and "etc/ssh" in error and "ssh access" not in output and "ssh host keys: FAILED" in output
    assert "administrators: created sysadmin, secadmin, auditadmin" in output
    assert not (root / "var/lib/dangan/.provisioned").exists()
    certificate = fingerprint((root / "etc/dangan/tls/console.crt").read_bytes())
    (root / "etc/ssh").unlink()
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "administrators: already there" in output and "ssh host keys: made" in output
    assert (root / "var/lib/dangan/.provisioned").exists() and (root / "root/.ssh/authorized_keys").exists()
    assert fingerprint((root / "etc/dangan/tls/console.crt").read_bytes()) == certificate
    assert usernames(root) == ["auditadmin", "secadmin", "sysadmin"]


def test_an_imported_certificate_is_installed_and_kept(dangan, tmp_path):
    stick, root = tmp_path / "stick", tmp_path / "root"
    root.mkdir()
    certificate, key = write_pair(stick, "console", hostname="archive.example.cn")
    answers = write_answers(stick, ANSWERS + TLS.format(certificate="console.crt", key="console.key"))
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and f"certificate: imported ({fingerprint(certificate.read_bytes())})" in output
    assert (root / "etc/dangan/tls/console.crt").read_bytes() == certificate.read_bytes()
    assert (root / "etc/dangan/tls/console.key").read_bytes() == key.read_bytes()
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "certificate: imported certificate already installed" in output


def test_a_changed_time_zone_rewrites_the_config_and_keeps_the_old_one(dangan, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    answers = write_answers(tmp_path / "stick")
    assert dangan("provision", "--answers", str(answers), "--root", str(root))[0] == 0
    first = (root / "etc/dangan/dangan.toml").read_text()
    write_answers(tmp_path / "stick", ANSWERS.replace("Asia/Shanghai", "Asia/Urumqi"))
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "time zone: set to Asia/Urumqi" in output and "web.timezone changed" in output
    assert (root / "etc/dangan/dangan.toml.previous").read_text() == first
    assert 'timezone = "Asia/Urumqi"' in (root / "etc/dangan/dangan.toml").read_text()
    assert "administrators: already there" in output and "certificate: kept" in output


def test_the_home_is_given_to_the_service_user_of_the_root(dangan, tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\ndangan:x:4242:4243::/var/lib/dangan:/usr/sbin/"
                                     "nologin\n")
    answers = write_answers(tmp_path / "stick")
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "ownership: " in output and "given to dangan" in output
    home = root / "var/lib/dangan"
    owners = {(path.lstat().st_uid, path.lstat().st_gid) for path in [home, *home.rglob("*")]}
    assert owners == {(4242, 4243)}
    assert (root / "etc/dangan/tls/console.key").stat().st_uid == 0  # the key stays root's
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "ownership: already dangan's" in output


def test_first_boot_uses_the_answers_installed_under_the_root(dangan, tmp_path):
    root = tmp_path / "root"
    answers = write_answers(root / "etc/dangan")
    code, output, _ = dangan("provision", "--first-boot", "--root", str(root))
    assert code == 0 and f"answers from {answers}" in output
    assert (root / "var/lib/dangan/.provisioned").exists()


def test_the_installed_answers_go_once_done_when_they_hold_passwords(dangan, tmp_path):
    root = tmp_path / "root"
    answers = write_answers(root / "etc/dangan")
    code, output, _ = dangan("provision", "--first-boot", "--root", str(root))
    assert code == 0 and f"removed {answers}: it held one-time passwords" in output and not answers.exists()
    assert (root / "var/lib/dangan/.provisioned").exists()


def test_installed_answers_stay_without_passwords_or_while_a_step_is_pending(dangan, tmp_path):
    without_passwords = ANSWERS.replace(f'password = "{GIVEN_PASSWORD}"\n', "")
    kept = write_answers(tmp_path / "plain/etc/dangan", without_passwords)
    assert dangan("provision", "--first-boot", "--root", str(tmp_path / "plain"))[0] == 0
    assert kept.read_text() == without_passwords
    twin = ('\n[backup]\nrepository = "ssh://borg@127.0.0.1:1/srv/borg/dangan-07"\n'  # nothing listens on 1
            f'twin_host_key = "{TWIN_HOST_KEY}"\n')
    pending = write_answers(tmp_path / "pending/etc/dangan", ANSWERS + twin)
    code, output, error = dangan("provision", "--first-boot", "--root", str(tmp_path / "pending"))
    assert code == 0 and "pending: backup:" in error and "removed" not in output
    assert pending.read_text() == ANSWERS + twin  # the run that finishes the twin reads it again


def test_answers_and_first_boot_together_are_refused(dangan, tmp_path):
    code, _, error = dangan("provision", "--first-boot", "--answers", str(write_answers(tmp_path)),
                            "--root", str(tmp_path))
    assert code == 2 and "give --answers or --first-boot, not both" in error
