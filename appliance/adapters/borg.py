"""Borg, run as a process: pure functions build each command's arguments, one runner executes them.

The passphrase reaches borg through a pipe (BORG_PASSPHRASE_FD): never in argv, never in an environment a process
listing shows. Borg's state (config, keys, cache, security records) lives under a directory of the box's own, never
in the home of whoever runs it. Exit codes: 0 ok, 1 warning (returned), 2 or more an error (raised).
"""

import datetime
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from appliance.adapters.borg_arguments import (
    borg_environment,
    check_arguments,
    create_arguments,
    delete_arguments,
    extract_arguments,
    info_arguments,
    init_arguments,
    list_arguments,
    paper_key_arguments,
    prune_arguments,
    qr_html_key_arguments,
    ssh_command,
)
from appliance.adapters.ssh_twin import parse_repository
from appliance.domain.backup import RunState
from appliance.domain.errors import DanganError, InvalidInputError

DEFAULT_BORG_BINARY = str(Path(sys.executable).with_name("borg"))  # the venv's, which we pinned to 1.4
DEFAULT_TIMEOUT = 6 * 3600.0  # a first backup of a full box over a slow line
PROGRESS_INTERVAL = 0.3  # seconds between two progress callbacks

Progress = Callable[[dict], None]


class BorgError(DanganError):
    """Borg failed (exit code 2 or more, or a timeout); `result` holds what it said."""

    code = "backup_failed"

    def __init__(self, message: str, result: "BorgResult | None" = None):
        super().__init__(message)
        self.result = result


@dataclass
class BorgResult:
    returncode: int
    state: RunState
    output: dict | None = None  # borg's --json answer
    messages: list[str] = field(default_factory=list)  # warnings and errors borg logged
    stats: dict = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)  # borg's msgids, e.g. PassphraseWrong, ConnectionClosed
    text: str = ""  # stdout when a command has no --json (key export)


@dataclass(frozen=True)
class ArchiveInfo:
    name: str
    time: datetime.datetime  # UTC
    id: str


# --- reading what borg says -----------------------------------------------------------------------------------

def state_of(returncode: int) -> RunState:
    return {0: RunState.OK, 1: RunState.WARNING}.get(returncode, RunState.FAILED)


def progress_of(event: dict) -> dict:
    """Our progress record from borg's archive_progress event."""
    return {"files": event.get("nfiles", 0), "bytes": event.get("original_size", 0),
            "compressed": event.get("compressed_size", 0), "deduplicated": event.get("deduplicated_size", 0),
            "path": event.get("path", ""), "finished": bool(event.get("finished"))}


def stats_of(output: dict | None) -> dict:
    """Borg's figures from a create or info answer: this archive's sizes and the repository's, and dedup ratio."""
    if not output:
        return {}
    stats = {}
    archive = output.get("archive") or (output.get("archives") or [None])[0]
    if archive and "stats" in archive:
        stats.update({f"archive_{key}": value for key, value in archive["stats"].items()})
    repository = (output.get("cache") or {}).get("stats") or {}
    stats.update({f"repository_{key}": value for key, value in repository.items()})
    if repository.get("unique_csize"):
        stats["dedup_ratio"] = round(repository["total_size"] / repository["unique_csize"], 2)
    return stats


def archives_of(output: dict) -> list[ArchiveInfo]:
    """The archives of a `list --json` answer, oldest first; times are UTC (borg runs with TZ=UTC)."""
    return [ArchiveInfo(name=entry["name"], id=entry["id"],
                        time=datetime.datetime.fromisoformat(entry["time"]).replace(tzinfo=datetime.UTC))
            for entry in output.get("archives", [])]


class _StderrReader:
    """Turns borg's --log-json lines into messages and (throttled) progress callbacks."""

    def __init__(self, progress: Progress | None):
        self.progress, self.messages, self.message_ids = progress, [], []
        self.last_progress, self.pending, self.last_record = 0.0, b"", progress_of({})

    def feed(self, data: bytes) -> None:
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self.line(line.decode("utf-8", "replace").strip())

    def line(self, text: str) -> None:
        if not text:
            return
        try:
            event = json.loads(text)
        except ValueError:
            event = {"type": "log_message", "levelname": "ERROR", "message": text}  # ssh speaks plain text
        if not isinstance(event, dict):
            return
        if event.get("type") == "archive_progress":
            self.report(event)
        elif event.get("type") == "log_message" and event.get("levelname") in ("WARNING", "ERROR", "CRITICAL"):
            message = _condensed(event.get("message", "").strip())
            if message:
                self.messages.append(message)
            if event.get("msgid"):
                self.message_ids.append(event["msgid"])

    def report(self, event: dict) -> None:
        # borg's last event carries no figures: repeat the previous ones, marked finished
        record = {**self.last_record, "finished": True} if event.get("finished") else progress_of(event)
        self.last_record = record
        now = time.monotonic()
        if self.progress and (record["finished"] or now - self.last_progress >= PROGRESS_INTERVAL):
            self.last_progress = now
            self.progress(record)


# --- the runner -----------------------------------------------------------------------------------------------

class Borg:
    """One borg repository, reached locally or over ssh with the box's key and the twin's pinned host key."""

    def __init__(self, repository: str, passphrase_file: Path, *, ssh_key: Path | None = None,
                 known_hosts: Path | None = None, borg_binary: str = DEFAULT_BORG_BINARY,
                 timeout: float = DEFAULT_TIMEOUT, state_directory: Path | None = None):
        parse_repository(repository)  # refuses anything but ssh:// or an absolute local path
        self.repository = repository
        self.passphrase_file = Path(passphrase_file)
        self.ssh_key, self.known_hosts = ssh_key, known_hosts
        self.borg_binary, self.timeout = borg_binary, timeout
        self.state_directory = state_directory or self.passphrase_file.parent / "borg"

    def init(self, encryption: str = "repokey-blake2") -> BorgResult:
        """Make the repository (and its parent directories). Raises BorgError, e.g. when it exists already."""
        return self.run(init_arguments(self.repository, encryption))

    def create(self, archive: str, paths: list[Path], *, base: Path, progress: Progress | None = None) -> BorgResult:
        """Archive `paths` (stored relative to `base`). Raises BorgError; InvalidInputError for a bad name or path."""
        relative = [_relative(Path(path), base) for path in paths]
        return self.run(create_arguments(self.repository, archive, relative, progress=progress is not None),
                        cwd=base, progress=progress)

    def list_archives(self) -> list[ArchiveInfo]:
        """The repository's archives, oldest first. Raises BorgError."""
        return archives_of(self.run(list_arguments(self.repository)).output or {})

    def extract(self, archive: str, target: Path, paths: list[str] | None = None) -> BorgResult:
        """Extract an archive (or some of its paths) into `target`, which is created. Raises BorgError."""
        target.mkdir(parents=True, exist_ok=True)
        return self.run(extract_arguments(self.repository, archive, paths), cwd=target)

    def prune(self, keep_daily: int, keep_weekly: int, keep_monthly: int) -> BorgResult:
        """Thin out old archives. Raises BorgError; through an append-only twin this only marks them."""
        return self.run(prune_arguments(self.repository, keep_daily, keep_weekly, keep_monthly))

    def check(self, verify_data: bool = False) -> BorgResult:
        """`borg check` (with --verify-data: every chunk read and authenticated). Raises BorgError on damage."""
        return self.run(check_arguments(self.repository, verify_data))

    def delete(self, archive: str) -> BorgResult:
        """Delete one archive. Raises BorgError."""
        return self.run(delete_arguments(self.repository, archive))

    def info(self, timeout: float | None = None) -> BorgResult:
        """The repository's figures in `stats` (total and unique sizes, dedup ratio); `timeout` shorter than the
        default for a reachability probe. Raises BorgError."""
        return self.run(info_arguments(self.repository), timeout=timeout)

    def export_paper_key(self) -> str:
        """The repository key as a paper key, to print and keep offline. Raises BorgError."""
        return self.run(paper_key_arguments(self.repository)).text

    def export_qr_html(self, target: Path) -> None:
        """Write the repository key as a printable HTML page with a QR code to `target` (made 0600, replaced if
        there). Raises BorgError; InvalidInputError for a relative path."""
        target = Path(target)
        arguments = qr_html_key_arguments(self.repository, target)
        target.unlink(missing_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # borg overwrites it, mode kept
        self.run(arguments)

    def run(self, arguments: list[str], *, cwd: Path | None = None, progress: Progress | None = None,
            timeout: float | None = None) -> BorgResult:
        """Run borg with `arguments`. Raises BorgError for exit code 2 or more, or when it outlives the timeout
        (the adapter's, unless a shorter one is given)."""
        limit = timeout or self.timeout
        self.state_directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.state_directory, prefix="ssh-", suffix=".log") as ssh_log:
            return self._run(arguments, cwd, progress, Path(ssh_log.name), limit)

    def _run(self, arguments: list[str], cwd: Path | None, progress: Progress | None, ssh_log: Path,
             limit: float) -> BorgResult:
        environment = borg_environment(dict(os.environ), self.state_directory,
                                       ssh_command(self.ssh_key, self.known_hosts, ssh_log))
        read_end = self._passphrase_pipe()
        environment["BORG_PASSPHRASE_FD"] = str(read_end)
        command = [self.borg_binary, "--log-json", *arguments]
        try:
            process = subprocess.Popen(command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(read_end,),
                                       start_new_session=True)  # a timeout then ends borg and its ssh together
        except OSError as error:
            raise BorgError(f"cannot run {self.borg_binary}: {error.strerror}") from None
        finally:
            os.close(read_end)
        name = " ".join(arguments[:2]) if arguments[0] == "key" else arguments[0]  # "key export", not "key"
        return self._result(name, process, progress, ssh_log, limit)

    def _passphrase_pipe(self) -> int:
        """A pipe holding the passphrase; borg reads it through BORG_PASSPHRASE_FD. Returns the read end.

        Raises BorgError when the file is missing or others may read it.
        """
        try:
            if self.passphrase_file.stat().st_mode & 0o077:
                raise BorgError(f"passphrase file {self.passphrase_file} is readable by others: chmod 600 it")
            passphrase = self.passphrase_file.read_bytes()
        except OSError as error:
            raise BorgError(f"cannot read the passphrase file {self.passphrase_file}: {error.strerror}") from None
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, passphrase)  # a pipe holds 64 KiB; a passphrase is far smaller
        finally:
            os.close(write_end)
        return read_end

    def _result(self, command: str, process: subprocess.Popen, progress: Progress | None, ssh_log: Path,
                limit: float) -> BorgResult:
        reader = _StderrReader(progress)
        stdout, timed_out = _drain(process, reader, limit)
        reader.feed(b"\n")
        if timed_out or state_of(process.returncode) is RunState.FAILED:
            reader.messages[:0] = _ssh_complaints(ssh_log)
        text = stdout.decode("utf-8", "replace")
        output = json.loads(text) if text.startswith("{") else None
        result = BorgResult(process.returncode, state_of(process.returncode), output, reader.messages,
                            stats_of(output), reader.message_ids, "" if output else text)
        if timed_out:
            raise BorgError(f"borg {command} did not finish within {limit:.0f} s and was stopped", result)
        if result.state is RunState.FAILED:
            said = "; ".join(message for message in result.messages if message) or "no message"
            raise BorgError(f"borg {command} failed (exit code {process.returncode}): {said}", result)
        return result


def _condensed(message: str) -> str:
    """An error as a person reads it: a traceback (borg's, or its server's relayed) becomes its last line, the
    exception ("OSError: [Errno 28] No space left on device"); the platform dump after it becomes nothing."""
    if message.startswith(("Platform:", "Borg server: Platform:")):
        return ""
    if "Traceback (most recent call last)" not in message:
        return message
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[-1].removeprefix("Borg server: ")


def _relative(path: Path, base: Path) -> str:
    if not path.is_absolute():
        return str(path)
    if not path.is_relative_to(base):
        raise InvalidInputError(f"backup path {path} is not inside the base directory {base}")
    return str(path.relative_to(base))


def _ssh_complaints(log_file: Path) -> list[str]:
    """ssh's last words (a refused connection, a changed host key), not its advice to remove the pinned key."""
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines() if log_file.exists() else []
    said = [line.strip().removeprefix("ssh: ") for line in lines if line.strip() and not line.startswith("@")]
    return [f"ssh: {line}" for line in said[-2:]]


def _drain(process: subprocess.Popen, reader: _StderrReader, timeout: float) -> tuple[bytes, bool]:
    """Read borg's stdout and stderr until both close or the deadline passes. Returns stdout and timed-out."""
    deadline = time.monotonic() + timeout
    stdout, timed_out = bytearray(), False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, stdout.extend)
        selector.register(process.stderr, selectors.EVENT_READ, reader.feed)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                _stop(process)
                break
            for key, _ in selector.select(min(remaining, 1.0)):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                key.data(data)
    process.wait()
    process.stdout.close()
    process.stderr.close()
    return bytes(stdout), timed_out


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM borg and its ssh, then SIGKILL what is left after a grace period."""
    for signal_number, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue
