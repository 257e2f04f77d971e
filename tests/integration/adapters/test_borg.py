"""Real borg against a real twin: sshd on loopback granting the box one append-only forced command."""

import contextlib
import os
import threading
import time
from pathlib import Path

import pytest

from appliance.adapters.borg import Borg, BorgError
from appliance.domain.backup import RunState
from tests.support.twin import PASSPHRASE, running_twin


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """One twin with an initialized repository, shared by the tests that do not break it."""
    with running_twin(tmp_path_factory.mktemp("twin")) as twin:
        twin.borg().init()
        yield twin


def make_files(base: Path, count: int = 3) -> list[Path]:
    folder = base / "blobs"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"{number:04d}.bin").write_bytes(os.urandom(2048) + f"档案 {number}".encode())
    (folder / "说明.txt").write_text("全宗 Z109\n", encoding="utf-8")
    return [folder]


def borg_processes(archive: str) -> list[int]:
    """Pids of borg processes working on `archive` (seen in their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command_line = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"--log-json" in command_line and archive.encode() in command_line:
                found.append(int(entry.name))
    return found


def watch_processes(archive: str, seen: dict, stop: threading.Event) -> None:
    """Collect the cmdline and environ of borg while it runs: what a process listing would show."""
    while not stop.is_set():
        for pid in borg_processes(archive):
            with contextlib.suppress(OSError):  # it may end between listing and reading
                seen[pid] = (Path(f"/proc/{pid}/cmdline").read_bytes(), Path(f"/proc/{pid}/environ").read_bytes())
        time.sleep(0.01)


def test_a_round_trip_over_ssh_with_the_passphrase_never_visible(twin, tmp_path):
    source = tmp_path / "source"
    paths = make_files(source)
    seen, stop, events = {}, threading.Event(), []
    watcher = threading.Thread(target=watch_processes, args=("round-trip-1", seen, stop))
    watcher.start()
    try:
        created = twin.borg().create("round-trip-1", paths, base=source, progress=events.append)
    finally:
        stop.set()
        watcher.join()
    assert created.state is RunState.OK and created.stats["archive_nfiles"] == 4
    assert events and events[-1]["finished"]
    assert seen, "the watcher never saw borg running"
    secret = PASSPHRASE.strip().encode()
    for command_line, environment in seen.values():
        assert secret not in command_line and secret not in environment
        assert b"BORG_PASSPHRASE_FD=" in environment and b"BORG_PASSPHRASE=" not in environment
    assert "round-trip-1" in [archive.name for archive in twin.borg().list_archives()]
    twin.borg().extract("round-trip-1", tmp_path / "restored")
    for original in (source / "blobs").iterdir():
        assert (tmp_path / "restored" / "blobs" / original.name).read_bytes() == original.read_bytes()


def test_check_info_and_the_paper_key(twin, tmp_path):
    twin.borg().create("checked", make_files(tmp_path), base=tmp_path)
    assert twin.borg().check().state is RunState.OK
    assert twin.borg().info().stats["repository_total_size"] > 0
    paper = twin.borg().export_paper_key()
    assert "BORG PAPER KEY v1" in paper and PASSPHRASE.strip() not in paper


def test_a_wrong_passphrase_is_a_clear_error(twin, tmp_path):
    wrong = tmp_path / "wrong-passphrase"
    wrong.write_text("not the passphrase\n", encoding="utf-8")
    wrong.chmod(0o644)
    with pytest.raises(BorgError, match="readable by others: chmod 600"):
        twin.borg(passphrase_file=wrong).list_archives()
    wrong.chmod(0o600)
    with pytest.raises(BorgError, match="(?i)passphrase.*is incorrect") as error:
        twin.borg(passphrase_file=wrong).list_archives()
    assert error.value.result.returncode == 2 and "PassphraseWrong" in error.value.result.message_ids


@pytest.mark.slow  # about 10 s: five borg runs over ssh, then recovery on the twin
def test_delete_and_prune_through_the_twin_only_mark_the_data(tmp_path):
    with running_twin(tmp_path) as twin:
        borg = twin.borg()
        borg.init()
        for name in ("monday", "tuesday", "wednesday"):
            borg.create(name, make_files(tmp_path / name), base=tmp_path / name)
        before = twin.transactions()[-1]
        # all three are today's: the daily rule keeps the newest, the weekly one (not filled) the oldest
        borg.prune(keep_daily=1, keep_weekly=1, keep_monthly=1)
        assert [archive.name for archive in borg.list_archives()] == ["monday", "wednesday"]
        borg.delete("monday")
        borg.delete("wednesday")
        assert borg.list_archives() == []
        assert twin.transactions()[-1] > before  # the deletes are new transactions, appended
        twin.stop()
        twin.roll_back_to(before)  # what an operator on the twin does after a box went rogue
        recovered = twin.local_borg()
        assert [archive.name for archive in recovered.list_archives()] == ["monday", "tuesday", "wednesday"]
        recovered.extract("tuesday", tmp_path / "restored")
        assert sorted(path.name for path in (tmp_path / "restored" / "blobs").iterdir()) == sorted(
            path.name for path in (tmp_path / "tuesday" / "blobs").iterdir())


def test_an_unreachable_twin_fails_quickly_and_names_the_connection(tmp_path):
    with running_twin(tmp_path) as twin:
        twin.stop()
        started = time.monotonic()
        with pytest.raises(BorgError, match="ssh: connect to host 127.0.0.1 port .*: Connection refused") as error:
            twin.borg().list_archives()
        assert time.monotonic() - started < 15
        assert error.value.result.state is RunState.FAILED


def test_a_changed_host_key_is_refused(tmp_path):
    with running_twin(tmp_path) as twin:
        twin.new_host_key()
        with pytest.raises(BorgError, match="ssh: Host key verification failed") as error:
            twin.borg().init()
        assert "has changed and you have requested strict checking" in str(error.value)
        assert not (twin.repository_path / "config").exists()  # nothing was written to the impostor


def test_a_probe_that_hangs_is_stopped_at_its_own_short_timeout(tmp_path):
    """A twin that takes the connection and then says nothing: the probe gives up after its timeout, not hours."""
    hanging = tmp_path / "hanging-borg"
    hanging.write_text("#!/bin/sh\nsleep 60\n", encoding="utf-8")
    hanging.chmod(0o755)
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE, encoding="utf-8")
    passphrase.chmod(0o600)
    borg = Borg(str(tmp_path / "repository"), passphrase, borg_binary=str(hanging))
    started = time.monotonic()
    with pytest.raises(BorgError, match="did not finish within 1 s"):
        borg.info(timeout=1)
    assert time.monotonic() - started < 15
