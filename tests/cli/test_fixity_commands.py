"""`dangan fixity check|repair` on a box with data, a local borg repository and both databases."""

import pytest

from tests.integration.services.test_backup import make_repository, populate
from tests.integration.services.test_fixity import damage


@pytest.fixture
def configured(dangan, appliance, actor, fonds, tmp_path):
    """The box the CLI uses, with data, backed up once into a fresh local repository the config names."""
    populate(appliance, actor)
    borg = make_repository(tmp_path)
    (tmp_path / "dangan.toml").write_text(
        f'[backup]\nrepository = "{borg.repository}"\npassphrase_file = "{borg.passphrase_file}"\n', encoding="utf-8")
    assert dangan("backup", "run")[0] == 0
    return appliance


def test_a_whole_store_checks_ok(dangan, configured):
    code, output, _ = dangan("fixity", "check")
    assert code == 0 and "9 blobs checked" in output and "fixity ok" in output


def test_a_damaged_blob_fails_the_check_by_name_and_repair_brings_it_back(dangan, configured):
    damaged, lost = sorted(configured.blob_store.digests())[:2]
    damage(configured, damaged)
    configured.blob_store.path(lost).unlink()
    code, output, error = dangan("fixity", "check")
    assert code == 2 and f"DAMAGED {damaged}" in output and f"MISSING {lost}" in output
    assert "FIXITY FAILED: 2 blobs damaged or missing" in error
    code, output, _ = dangan("fixity", "repair")  # by default: what fails a check now
    assert code == 0 and f"repaired {damaged} from dangan-" in output and f"repaired {lost} from dangan-" in output
    assert dangan("fixity", "check")[0] == 0
    with configured.uow_factory(read_only=True) as uow:
        repairs = [event for event in uow.audit.latest(10) if event.action == "fixity.repair"]
    assert {event.object_id for event in repairs} == {damaged, lost}
    assert {event.actor for event in repairs} == {repairs[0].actor} and repairs[0].actor.startswith("cli:")


def test_repair_of_named_digests_says_what_it_could_not_bring_back(dangan, configured):
    whole = sorted(configured.blob_store.digests())[0]
    code, output, error = dangan("fixity", "repair", whole, "f" * 64)
    assert code == 2 and f"intact {whole}" in output and f"unknown {'f' * 64}" in output
    assert "NOT REPAIRED: 1 blobs" in error


def test_repair_of_a_whole_store_does_nothing(dangan, configured):
    code, output, _ = dangan("fixity", "repair")
    assert code == 0 and "nothing to repair" in output


def test_bad_input_is_refused_with_a_clear_line(dangan, configured):
    code, _, error = dangan("fixity", "repair", "not-a-digest")
    assert code == 1 and "not a SHA-256 digest: 'not-a-digest'" in error
    code, _, error = dangan("fixity", "repair", "--from", "local", "a" * 64)
    assert code == 1 and "set backup.local_repository in the config" in error


def test_backup_key_also_writes_the_key_as_a_qr_code_page(dangan, configured, tmp_path):
    """Issue 6 part 5 (here for want of a file of its own): the paper key and its QR HTML, readable by root only."""
    page = tmp_path / "key.html"
    page.write_text("an older copy", encoding="utf-8")
    code, output, _ = dangan("backup", "key", "--qr-html", str(page))
    assert code == 0 and "BORG PAPER KEY v1" in output and f"the key as a QR code: {page}" in output
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>") and "BORG_KEY" in page.read_text()
    assert page.stat().st_mode & 0o777 == 0o600
