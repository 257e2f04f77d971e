"""A hot folder: a network MFP scans to a share, and we take each file once it is complete.

Layout: the inbox the MFP writes to, and a state directory on the same filesystem (e.g. `<inbox>/.dangan`, which
the poll skips as hidden) holding `processing/`, `done/<date>/` and `rejected/`. A file moves by rename only, so it
is always in exactly one place; after a crash the files in `processing/` are handed out again by `recover()`.
"""

import errno
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from appliance.domain.errors import InvalidInputError
from scanner_agent.file_sources import natural_sort_key

logger = logging.getLogger(__name__)

# Names that writers use while a file is incomplete (browsers, WinSCP, rsync's dot files, Office's ~$ lock files).
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".filepart", ".download", ".swp")
TEMPORARY_PREFIXES = (".", "~$")
WRITE_ACCESS_MODES = {os.O_WRONLY, os.O_RDWR}


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file: where it ended up, and why it was rejected (None: it was taken in)."""

    name: str
    destination: Path
    reason: str | None = None


@dataclass(frozen=True)
class _Observation:
    signature: tuple[int, int, int]  # size, mtime in ns, inode: a new file under an old name is a new file
    unchanged_since: float


def is_temporary_name(name: str) -> bool:
    """True for a name a writer uses while the file is still incomplete, or a hidden name."""
    folded = name.casefold()
    return folded.startswith(TEMPORARY_PREFIXES) or folded.endswith(TEMPORARY_SUFFIXES) or folded.endswith("~")


def local_now() -> datetime:
    """The wall clock with the local offset: it names done/<date>/ and stamps rejection notes."""
    return datetime.now().astimezone()


class HotFolder:
    """Polls an inbox and moves files through processing/ to done/<date>/ or rejected/."""

    def __init__(self, inbox: Path, state_dir: Path, settle_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], datetime] = local_now):
        """Create the state directories. Raises InvalidInputError when they are not on the inbox's filesystem."""
        self.inbox = inbox
        self.processing = state_dir / "processing"
        self.done_root = state_dir / "done"
        self.rejected = state_dir / "rejected"
        state_dir.mkdir(parents=True, exist_ok=True)
        if os.stat(inbox).st_dev != os.stat(state_dir).st_dev:
            raise InvalidInputError(f"{state_dir} must be on the same filesystem as {inbox} (files move by rename)")
        for directory in (self.processing, self.done_root, self.rejected):
            directory.mkdir(exist_ok=True)
        self.settle_seconds = settle_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._observations: dict[str, _Observation] = {}
        self._warned: set[str] = set()

    def poll(self) -> list[Path]:
        """The inbox files that are ready to take, in natural name order.

        Ready: a regular file, not a temporary name, not empty, whose size, mtime and inode have not changed across
        polls for settle_seconds, and that no process on this machine has open for writing.
        """
        now = self._clock()
        current = {}
        for name, signature in self._scan_inbox():
            previous = self._observations.get(name)
            unchanged = previous is not None and previous.signature == signature
            current[name] = previous if unchanged else _Observation(signature, now)
        self._observations = current
        settled = [self.inbox / name for name, observation in current.items()
                   if observation.signature[0] > 0 and now - observation.unchanged_since >= self.settle_seconds]
        busy = paths_open_for_writing(settled)
        return sorted((path for path in settled if path not in busy), key=lambda path: natural_sort_key(path.name))

    def take(self, path: Path) -> Path:
        """Move a ready inbox file into processing/ (one rename) and return its new path.

        Raises FileNotFoundError when it is gone (another poller took it); InvalidInputError for a path elsewhere.
        """
        if path.parent != self.inbox:
            raise InvalidInputError(f"{path} is not in the inbox {self.inbox}")
        target = _free_name(self.processing, path.name)
        try:
            os.rename(path, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            raise InvalidInputError(f"{self.processing} is on another filesystem than {self.inbox}") from None
        self._observations.pop(path.name, None)
        return target

    def done(self, path: Path) -> Path:
        """File a processed file under done/<today>/ and return its new path; purge_done() clears old days.

        Raises InvalidInputError when the path is not in processing/.
        """
        self._require_taken(path)
        day_directory = self.done_root / self._wall_clock().date().isoformat()
        day_directory.mkdir(exist_ok=True)
        target = _free_name(day_directory, path.name)
        os.rename(path, target)
        return target

    def reject(self, path: Path, reason: str) -> Path:
        """Move a file to rejected/ with `<name>.reason.txt` beside it (the time and the reason, UTF-8).

        Raises InvalidInputError when the path is not in processing/.
        """
        self._require_taken(path)
        target = _free_name(self.rejected, path.name, note_suffix=".reason.txt")
        os.rename(path, target)
        note = target.with_name(target.name + ".reason.txt")
        stamp = self._wall_clock().isoformat(timespec="seconds")
        note.write_text(f"Rejected at {stamp}\n{reason}\n", encoding="utf-8")
        return target

    def recover(self) -> list[Path]:
        """Files in processing/ that a previous run took but never filed (it stopped or crashed), to handle again."""
        files = [path for path in self.processing.iterdir() if path.is_file()]
        return sorted(files, key=lambda path: natural_sort_key(path.name))

    def process(self, path: Path, handle: Callable[[Path], object]) -> FileOutcome:
        """Give a file in processing/ to `handle`; file it as done, or rejected when handle raises InvalidInputError.

        Any other error propagates and leaves the file in processing/: a full disk is not the file's fault, and
        recover() hands it out again.
        """
        try:
            handle(path)
        except InvalidInputError as error:
            return FileOutcome(path.name, self.reject(path, str(error)), str(error))
        return FileOutcome(path.name, self.done(path))

    def process_ready(self, handle: Callable[[Path], object]) -> list[FileOutcome]:
        """Poll once, then take and process every ready file in turn; one bad file does not stop the next."""
        outcomes = []
        for path in self.poll():
            try:
                taken = self.take(path)
            except FileNotFoundError:
                continue  # another poller was first
            outcomes.append(self.process(taken, handle))
        return outcomes

    def purge_done(self, keep_days: int) -> list[Path]:
        """Delete the done/<date>/ directories older than keep_days and return them (the admin's retention)."""
        oldest_kept = self._wall_clock().date() - timedelta(days=keep_days)
        purged = []
        for directory in sorted(self.done_root.iterdir()):
            day = _day_of(directory)
            if day is not None and day < oldest_kept:
                shutil.rmtree(directory)
                purged.append(directory)
        return purged

    def _scan_inbox(self) -> Iterable[tuple[str, tuple[int, int, int]]]:
        with os.scandir(self.inbox) as entries:
            for entry in entries:
                if is_temporary_name(entry.name) or entry.is_dir(follow_symlinks=False):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    self._warn_once(entry.name)
                    continue
                try:
                    status = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed since the directory was read
                yield entry.name, (status.st_size, status.st_mtime_ns, status.st_ino)

    def _warn_once(self, name: str) -> None:
        # A link or a pipe in a share is never taken: a link could point anywhere on this machine.
        if name not in self._warned:
            self._warned.add(name)
            logger.warning("hot folder %s: %s is not a regular file and is left alone", self.inbox, name)

    def _require_taken(self, path: Path) -> None:
        if path.parent != self.processing:
            raise InvalidInputError(f"{path} is not in {self.processing}")


def paths_open_for_writing(paths: Iterable[Path], proc: Path = Path("/proc")) -> set[Path]:
    """Those of `paths` that a process on this machine has open for writing (best effort: only the processes we may
    inspect are seen, and never a writer on another machine)."""
    wanted = {os.path.realpath(path): path for path in paths}
    busy: set[Path] = set()
    if not wanted:
        return busy
    for process in os.scandir(proc):
        if process.name.isdigit():
            busy.update(wanted[target] for target in _targets_written(Path(process.path), wanted.keys()))
    return busy


def _targets_written(process: Path, wanted: Iterable[str]) -> Iterable[str]:
    try:
        descriptors = os.listdir(process / "fd")
    except OSError:
        return  # the process ended, or it is not ours to inspect
    for descriptor in descriptors:
        try:
            target = os.readlink(process / "fd" / descriptor)
            if target in wanted and _opened_for_writing(process / "fdinfo" / descriptor):
                yield target
        except OSError:
            continue  # the descriptor closed while we looked


def _opened_for_writing(fdinfo: Path) -> bool:
    # fdinfo's "flags:" line holds the open(2) flags in octal; the access mode is in their lowest bits.
    for line in fdinfo.read_text().splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8) & os.O_ACCMODE in WRITE_ACCESS_MODES
    return False


def _free_name(directory: Path, name: str, note_suffix: str = "") -> Path:
    """directory/name, or name with -2, -3... before the extension when taken: an MFP reuses names like scan.pdf."""
    stem, dot, extension = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    candidate, number = directory / name, 1
    while candidate.exists() or (note_suffix and candidate.with_name(candidate.name + note_suffix).exists()):
        number += 1
        candidate = directory / f"{stem}-{number}{dot}{extension}"
    return candidate


def _day_of(directory: Path) -> date | None:
    try:
        return date.fromisoformat(directory.name)
    except ValueError:
        return None

