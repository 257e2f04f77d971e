"""`dangan backup ...` and `dangan restore` on a box with data, a local borg repository and both databases."""

import pytest

from appliance.services.backup_schedule import box_lock
from tests.integration.services.test_backup import make_repository, populate


@pytest.fixture
def configured(dangan, appliance, actor, fonds, tmp_path):
    """The box (the same home and database the CLI uses) with data, and the config naming a fresh repository."""
    populate(appliance, actor)
    borg = make_repository(tmp_path)
    (tmp_path / "dangan.toml").write_text(
        f'[backup]\nrepository = "{borg.repository}"\npassphrase_file = "{borg.passphrase_file}"\n', encoding="utf-8")
    return appliance


def test_without_a_repository_backup_run_says_which_setting_is_missing(dangan):
    code, _, error = dangan("backup", "run")
    assert code == 1 and "set backup.repository in the config" in error


def test_backup_run_list_check_and_prune(dangan, configured):
    code, output, _ = dangan("backup", "run")
    assert code == 0 and " backup twin " in output and " ok dangan-" in output and "files" in output
    code, output, _ = dangan("backup", "check", "--verify-data")
    assert code == 0 and " verify twin " in output and " ok" in output
    code, output, _ = dangan("backup", "prune")
    assert code == 0 and " prune twin " in output
    code, output, _ = dangan("backup", "list")
    lines = output.splitlines()
    assert code == 0 and "documents since the last backup: 0" in lines[0]
    assert [line.split()[1] for line in lines[1:]] == ["prune", "verify", "backup"]


def test_restore_refuses_a_box_with_data_and_restores_with_force(dangan, configured):
    dangan("backup", "run")
    code, _, error = dangan("restore")
    assert code == 1 and "already holds data (4 items" in error and "--force" in error
    code, output, _ = dangan("restore", "--from", "twin", "--force")
    assert code == 0, output
    assert "ok   blobs: 9 blobs present" in output and "ok   audit chain" in output
    assert "restore verified" in output


def test_a_restore_whose_verification_fails_exits_non_zero_naming_the_blob(dangan, configured):
    victim = sorted(configured.blob_store.digests())[0]
    configured.blob_store.path(victim).unlink()
    dangan("backup", "run")
    code, output, error = dangan("restore", "--force")
    assert code == 2 and f"FAIL blobs: 1 of 9 blobs missing or damaged: blob {victim}" in output
    assert "RESTORE NOT VERIFIED" in error


def test_restore_of_an_unknown_archive_names_the_ones_there_are(dangan, configured):
    dangan("backup", "run")
    code, _, error = dangan("restore", "--archive", "dangan-nope", "--force")
    assert code == 1 and "no archive 'dangan-nope'" in error and "dangan-" in error


def test_backup_init_makes_the_passphrase_and_the_repository_and_prints_the_paper_key(dangan, appliance, tmp_path):
    repository = tmp_path / "new-repository"
    (tmp_path / "dangan.toml").write_text(f'[backup]\nrepository = "{repository}"\n', encoding="utf-8")
    code, output, _ = dangan("backup", "init")
    assert code == 0 and "BORG PAPER KEY v1" in output and (repository / "config").is_file()
    passphrase = appliance.config.home / "secrets" / "borg-passphrase"
    assert passphrase.stat().st_mode & 0o777 == 0o600 and len(passphrase.read_text()) >= 40
    code, _, error = dangan("backup", "init")
    assert code == 1 and "already exists" in error  # a second init never touches the first repository
    assert dangan("backup", "run")[0] == 0


def test_a_backup_is_refused_while_the_worker_holds_the_box_lock(dangan, configured):
    with box_lock(configured.config.home) as held:
        assert held
        code, _, error = dangan("backup", "run")
    assert code == 1 and "a backup run is going on in the worker" in error
    assert dangan("backup", "run")[0] == 0  # the lock is free again
