"""The hot folder on a real filesystem and the real /proc; only the clocks are ours."""

import io
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from appliance.domain.errors import InvalidInputError
from scanner_agent.file_sources import pages_from_file
from scanner_agent.hot_folder import HotFolder, is_temporary_name, paths_open_for_writing
from tests.support.tiny_disk import tiny_disk as mounted_tmpfs

SETTLE = 5.0
BEIJING = timezone(timedelta(hours=8))


class ManualClock:
    """A monotonic clock the test moves by hand, so that settling takes no real time."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = SETTLE) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def wall_clock() -> list[datetime]:
    return [datetime(2024, 3, 9, 14, 30, tzinfo=BEIJING)]


@pytest.fixture
def folder(tmp_path, clock, wall_clock) -> HotFolder:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return HotFolder(inbox, inbox / ".dangan", settle_seconds=SETTLE, clock=clock, wall_clock=lambda: wall_clock[0])


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("L", (60, 80), 200).save(output, "PNG")
    return output.getvalue()


def settled_poll(folder: HotFolder, clock: ManualClock) -> list[Path]:
    folder.poll()
    clock.advance()
    return folder.poll()


def test_a_file_is_ready_only_after_it_stays_unchanged_for_the_settle_time(folder, clock):
    path = folder.inbox / "scan.png"
    path.write_bytes(png_bytes())
    assert folder.poll() == []
    clock.advance(SETTLE - 0.5)
    assert folder.poll() == []
    clock.advance(0.5)
    assert folder.poll() == [path]


def test_a_file_being_appended_to_is_not_taken_until_it_settles(folder, clock):
    path = folder.inbox / "scan.png"
    data = png_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert folder.poll() == []
    clock.advance(SETTLE * 3)  # the writer stalls for longer than the settle time...
    with path.open("ab") as stream:
        stream.write(data[len(data) // 2:])  # ...then writes the rest: the file changed since the last poll
    assert folder.poll() == []
    clock.advance()
    assert folder.poll() == [path]


def test_a_file_open_for_writing_here_is_not_taken(folder, clock):
    path = folder.inbox / "scan.png"
    with path.open("wb") as stream:
        stream.write(png_bytes())
        stream.flush()
        assert settled_poll(folder, clock) == []
        assert paths_open_for_writing([path]) == {path}
    assert folder.poll() == [path]


def test_a_file_open_for_writing_in_another_process_is_not_taken(folder, clock):
    path = folder.inbox / "scan.png"
    path.write_bytes(png_bytes())
    holder = "import sys, time; handle = open(sys.argv[1], 'ab'); print('open', flush=True); time.sleep(60)"
    writer = subprocess.Popen([sys.executable, "-c", holder, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "open\n"
        assert settled_poll(folder, clock) == []
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
    assert folder.poll() == [path]


def test_a_file_open_only_for_reading_is_taken(folder, clock):
    path = folder.inbox / "scan.png"
    path.write_bytes(png_bytes())
    with path.open("rb"):
        assert settled_poll(folder, clock) == [path]


def test_temporary_hidden_and_empty_files_are_never_ready(folder, clock):
    for name in ["scan.pdf.part", "SCAN.TMP", "~$report.docx", ".scan.pdf", "page.crdownload", "scan.pdf~"]:
        (folder.inbox / name).write_bytes(png_bytes())
    (folder.inbox / "empty.pdf").write_bytes(b"")
    (folder.inbox / "subfolder").mkdir()
    (folder.inbox / "link.png").symlink_to(folder.inbox / "scan.pdf.part")
    (folder.inbox / "real.png").write_bytes(png_bytes())
    assert settled_poll(folder, clock) == [folder.inbox / "real.png"]


def test_temporary_names():
    assert is_temporary_name("a.PART") and is_temporary_name("~$a.xlsx") and is_temporary_name(".a.pdf")
    assert not is_temporary_name("part.pdf") and not is_temporary_name("temp-2024.tif")


def test_ready_files_come_in_natural_order(folder, clock):
    for name in ["scan10.png", "scan9.png", "scan1.png"]:
        (folder.inbox / name).write_bytes(png_bytes())
    assert [path.name for path in settled_poll(folder, clock)] == ["scan1.png", "scan9.png", "scan10.png"]


def test_a_corrupt_file_is_rejected_with_its_reason_and_the_next_good_file_is_still_taken(folder, clock):
    good = png_bytes()
    (folder.inbox / "a-cut.png").write_bytes(good[: len(good) // 2])
    (folder.inbox / "b-good.png").write_bytes(good)
    taken_pages = []
    folder.poll()
    clock.advance()
    outcomes = folder.process_ready(lambda path: taken_pages.extend(pages_from_file(path)))
    rejected, accepted = outcomes
    assert rejected.destination == folder.rejected / "a-cut.png"
    assert "a-cut.png: truncated or damaged PNG" in rejected.reason
    note = (folder.rejected / "a-cut.png.reason.txt").read_text(encoding="utf-8")
    assert note.startswith("Rejected at 2024-03-09T14:30:00+08:00\n") and "truncated or damaged PNG" in note
    assert accepted.destination == folder.done_root / "2024-03-09" / "b-good.png"
    assert accepted.reason is None and accepted.destination.read_bytes() == good
    assert [page.data for page in taken_pages] == [good]
    assert list(folder.inbox.iterdir()) == [folder.inbox / ".dangan"]
    assert folder.recover() == []


def test_files_left_in_processing_after_a_crash_are_recovered(folder, clock, tmp_path):
    for name in ["scan2.png", "scan1.png"]:
        (folder.inbox / name).write_bytes(png_bytes())
    first, second = settled_poll(folder, clock)
    folder.take(first)
    folder.take(second)  # ...and the agent dies here
    restarted = HotFolder(folder.inbox, folder.inbox / ".dangan", settle_seconds=SETTLE, clock=clock)
    recovered = restarted.recover()
    assert recovered == [restarted.processing / "scan1.png", restarted.processing / "scan2.png"]
    assert restarted.process(recovered[0], lambda path: None).destination.parent.parent == restarted.done_root
    assert restarted.recover() == [restarted.processing / "scan2.png"]


def test_an_error_that_is_not_the_files_fault_leaves_it_in_processing(folder, clock):
    (folder.inbox / "scan.png").write_bytes(png_bytes())
    folder.poll()
    clock.advance()

    def disk_full(path):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        folder.process_ready(disk_full)
    assert folder.recover() == [folder.processing / "scan.png"]


def test_a_reused_name_does_not_overwrite_an_earlier_file(folder, clock):
    for content in [b"first", b"second"]:
        (folder.inbox / "scan.pdf").write_bytes(content)
        [ready] = settled_poll(folder, clock)
        folder.done(folder.take(ready))
    day = folder.done_root / "2024-03-09"
    assert (day / "scan.pdf").read_bytes() == b"first"
    assert (day / "scan-2.pdf").read_bytes() == b"second"


def test_rejection_notes_are_utf8_and_names_do_not_collide(folder, clock):
    for _ in range(2):
        (folder.inbox / "扫描.pdf").write_bytes(b"not a pdf")
        [ready] = settled_poll(folder, clock)
        folder.reject(folder.take(ready), "页面无法读取")
    assert sorted(path.name for path in folder.rejected.iterdir()) == [
        "扫描-2.pdf", "扫描-2.pdf.reason.txt", "扫描.pdf", "扫描.pdf.reason.txt"]
    assert "页面无法读取" in (folder.rejected / "扫描-2.pdf.reason.txt").read_text(encoding="utf-8")


def test_done_and_reject_only_accept_taken_files(folder):
    stray = folder.inbox / "scan.png"
    stray.write_bytes(png_bytes())
    with pytest.raises(InvalidInputError, match="is not in"):
        folder.done(stray)
    with pytest.raises(InvalidInputError, match="is not in"):
        folder.reject(stray, "no")
    with pytest.raises(FileNotFoundError):
        folder.take(folder.inbox / "gone.png")


def test_purge_done_removes_only_days_past_the_retention(folder, wall_clock):
    for day in ["2024-02-01", "2024-03-01", "2024-03-09", "notes"]:
        (folder.done_root / day).mkdir()
    purged = folder.purge_done(keep_days=7)
    assert purged == [folder.done_root / "2024-02-01", folder.done_root / "2024-03-01"]
    assert sorted(path.name for path in folder.done_root.iterdir()) == ["2024-03-09", "notes"]


def test_state_on_another_filesystem_is_refused(tmp_path):
    with mounted_tmpfs(tmp_path / "other", "1m") as other_filesystem:
        state = other_filesystem / "state"
        with pytest.raises(InvalidInputError, match="same filesystem"):
            HotFolder(tmp_path, state)
        assert not state.exists() or list(state.iterdir()) == []
