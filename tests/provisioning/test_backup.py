"""[backup]: a local repository made with the real borg and its paper key; a twin not yet reachable stays pending."""

import stat

import pytest

from appliance.config import ENV_CONFIG, load_config
from tests.provisioning.conftest import ANSWERS, write_answers

pytestmark = pytest.mark.slow  # borg init and key export, besides a whole provisioning run
TWIN_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPCPhOEhXs7a/1HsmW2JbZfTVJFfsvnmSejmX0TwUwaZ"
OTHER_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPHVbBe15uJkJNQfLDCrq3ngLOyn1KJptxiCS64kBl8v"


def test_a_local_repository_and_its_paper_key_are_made_once(dangan, tmp_path):
    root, repository = tmp_path / "root", tmp_path / "usb" / "dangan"
    root.mkdir()
    answers = write_answers(tmp_path / "stick", ANSWERS + f'\n[backup]\nrepository = "{repository}"\n')
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "backup: ready" in output and "(repokey-blake2)" in output
    assert (repository / "config").is_file() and "PRINT THE PAPER KEY" in output
    paper_key = root / "var/lib/dangan/secrets/paper-key.txt"
    assert "borg key import --paper" in paper_key.read_text() and stat.S_IMODE(paper_key.stat().st_mode) == 0o600
    passphrase = root / "var/lib/dangan/secrets/borg-passphrase"
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert passphrase.read_text() not in output
    config = load_config({ENV_CONFIG: str(root / "etc/dangan/dangan.toml")})
    assert config.backup.repository == str(repository)
    first_key = paper_key.read_text()
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and f"repository {repository} already made" in output and "paper key already in" in output
    assert paper_key.read_text() == first_key


def test_a_twin_not_yet_reachable_is_paired_and_left_pending(dangan, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    twin = "ssh://borg@127.0.0.1:1/srv/borg/dangan-07"  # nothing listens on port 1: the twin is not there yet
    answers = write_answers(tmp_path / "stick", ANSWERS + f'\n[backup]\nrepository = "{twin}"\n'
                                                          f'twin_host_key = "{TWIN_HOST_KEY}"\n')
    code, output, error = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 0 and "backup: PENDING: the repository could not be made yet" in output
    assert "pending: backup:" in error and (root / "var/lib/dangan/.provisioned").exists()
    secrets = root / "var/lib/dangan/secrets"
    assert (secrets / "twin_known_hosts").read_text() == f"[127.0.0.1]:1 {TWIN_HOST_KEY}\n"
    box_key = (secrets / "twin_ed25519.pub").read_text().split()[1]
    assert "dangan twin accept --line 'command=\"borg serve --append-only --restrict-to-repository " \
           "/srv/borg/dangan-07\",restrict ssh-ed25519 " + box_key in output
    assert not (secrets / "paper-key.txt").exists()
    code, output, _ = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert "box key " in output and " kept" in output and "already pinned" in output


def test_a_twin_host_key_unlike_the_pinned_one_stops_the_run(dangan, tmp_path):
    root = tmp_path / "root"
    known_hosts = root / "var/lib/dangan/secrets/twin_known_hosts"
    known_hosts.parent.mkdir(parents=True)
    known_hosts.write_text(f"[127.0.0.1]:1 {OTHER_HOST_KEY}\n")
    answers = write_answers(tmp_path / "stick", ANSWERS + '\n[backup]\nrepository = "ssh://borg@127.0.0.1:1/srv/b"\n'
                                                          f'twin_host_key = "{TWIN_HOST_KEY}"\n')
    code, output, error = dangan("provision", "--answers", str(answers), "--root", str(root))
    assert code == 1 and "pins another host key for the twin" in error and "compare out of band" in error
    assert known_hosts.read_text() == f"[127.0.0.1]:1 {OTHER_HOST_KEY}\n"
    assert not (root / "var/lib/dangan/.provisioned").exists()
