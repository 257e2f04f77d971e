"""The scanner agent as a real child process (`dangan agent`) with its own home, spool and config, for crash tests;
and what those tests need around it: a gate in front of the appliance's intake, stacks, the pages stored.

`python -m tests.support.agent_process` runs exactly the `dangan agent` command, with INFO logging on stderr so a
failing test can show what the agent did (the command itself leaves logging to the service manager). The child is
configured only by DANGAN_* variables: a throw-away SQLite file (the CLI builds the appliance before it starts the
agent), the appliance's URL and token file, its spool and the virtual scanner, whose feeder is
`<spool>/virtual-stack/*.png`.
"""

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from scanner_agent.delivery import INTAKE_PATH

REPOSITORY = Path(__file__).resolve().parents[2]
STOP_SECONDS = 10.0


@dataclass
class AgentProcess:
    """One agent, started and killed as often as a test likes; every start reads the same home and spool."""

    name: str
    directory: Path
    appliance_url: str
    token: str
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def home(self) -> Path:
        return self.directory / "home"

    @property
    def spool(self) -> Path:
        return self.directory / "spool"

    @property
    def feeder(self) -> Path:
        """The virtual scanner's document feeder: the PNG files in it are scanned in name order."""
        return self.spool / "virtual-stack"

    @property
    def log_path(self) -> Path:
        return self.directory / "agent.log"

    def environment(self) -> dict[str, str]:
        """The child's environment: ours without any DANGAN_* or SANE setting, plus the agent's own config."""
        inherited = {name: value for name, value in os.environ.items()
                     if not name.startswith(("DANGAN_", "SANE_"))}
        return {**inherited, "PYTHONUNBUFFERED": "1",
                "DANGAN_HOME": str(self.home),
                "DANGAN_DATABASE_URL": f"sqlite:///{self.home / 'unused.sqlite3'}",
                "DANGAN_AGENT_NAME": self.name,
                "DANGAN_AGENT_APPLIANCE_URL": self.appliance_url,
                "DANGAN_AGENT_TOKEN_FILE": str(self.home / "agent-token"),
                "DANGAN_AGENT_SPOOL": str(self.spool),
                "DANGAN_AGENT_VIRTUAL_SCANNER": "true",
                "DANGAN_AGENT_HEARTBEAT_SECONDS": "1"}

    def start(self) -> "AgentProcess":
        """Start the agent (again); raises RuntimeError if one is still running."""
        if self.running():
            raise RuntimeError(f"agent {self.name} is running already (pid {self.process.pid})")
        self.home.mkdir(parents=True, exist_ok=True)
        self.feeder.mkdir(parents=True, exist_ok=True)
        (self.home / "agent-token").write_text(self.token + "\n", encoding="ascii")
        self.starts += 1
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"---- start {self.starts} ----\n")
            log.flush()
            # a session of its own: the barcode decoder it starts can be found by process group at teardown
            self.process = subprocess.Popen([sys.executable, "-m", "tests.support.agent_process"], cwd=REPOSITORY,
                                            env=self.environment(), stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the agent itself: no signal handler, no `finally`, no flush runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_SECONDS)
        self._end_group()

    def stop(self) -> None:
        """Stop whatever is left of the agent and its children (test teardown)."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_SECONDS)
        if self.process is not None:
            self._end_group()

    def _end_group(self) -> None:
        # the decoder child ends on its own when its pipe closes; this only makes sure nothing outlives a test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def load_feeder(self, pages: list[Path]) -> None:
        """Put `pages` in the feeder in this order, replacing what it held (an operator reloading the ADF)."""
        shutil.rmtree(self.feeder, ignore_errors=True)
        self.feeder.mkdir(parents=True)
        for number, page in enumerate(pages, start=1):
            shutil.copyfile(page, self.feeder / f"{number:04d}.png")

    def batch_ids(self) -> list[str]:
        """Batches in the agent's spool (unfinished, or finished but not yet removed)."""
        root = self.spool / "batches"
        return sorted(path.name for path in root.iterdir()) if root.is_dir() else []

    def journal(self, batch_id: str) -> list[dict]:
        """The complete lines of a batch's page journal."""
        path = self.spool / "batches" / batch_id / "journal.jsonl"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]

    def outbox(self, state: str) -> list[Path]:
        """The entries of outbox/<state>/ (ready, sent, refused) in the order they were put."""
        directory = self.spool / "outbox" / state
        return sorted(directory.iterdir()) if directory.is_dir() else []

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_until(condition: Callable[[], object], timeout: float, what: str, agent: AgentProcess | None = None,
               interval: float = 0.01):
    """Poll `condition` until it returns something true and return that; raises AssertionError on timeout (with
    the agent's last log lines when an agent is given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        if agent is not None and agent.process is not None and agent.process.poll() is not None:
            raise AssertionError(f"the agent exited ({agent.process.returncode}) before {what}:\n{agent.log_tail()}")
        time.sleep(interval)
    log = f":\n{agent.log_tail()}" if agent is not None else ""
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{log}")


# ---- around the agent: a gate in front of intake, a stack, the pages the appliance stored -------------------


@dataclass(frozen=True)
class Stack:
    """Sheets in feed order and which of them are cover sheets."""

    sheets: list[Path]
    covers: list[int]

    def documents(self) -> list[list[Path]]:
        """The pages of each document, in order (what the appliance must end up with)."""
        ends = self.covers[1:] + [len(self.sheets)]
        return [self.sheets[start + 1:end] for start, end in zip(self.covers, ends, strict=True)]

    def documents_complete_within(self, sheets: int) -> int:
        """How many documents the first `sheets` sheets complete (the next cover sheet closes one)."""
        return sum(1 for cover in self.covers if cover < sheets) - 1


class IntakeGate:
    """Middleware for POST /api/v1/intake: refuse deliveries with 503, or hold the answer to one after the real app
    has filed it; it records each delivery's idempotency key and the status the app gave."""

    def __init__(self):
        self.refusing = False
        self.hold_next = False
        self.held, self.release = threading.Event(), threading.Event()
        self.answers: list[tuple[str, int]] = []

    def wrap(self, app):
        def gated(environ, start_response):
            if (environ["REQUEST_METHOD"], environ["PATH_INFO"]) != ("POST", INTAKE_PATH):
                return app(environ, start_response)
            if self.refusing:
                start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "application/json")])
                return [b'{"error": "unavailable", "message": "the test holds the appliance down"}']
            return self._through(app, environ, start_response)
        return gated

    def _through(self, app, environ, start_response):
        answer = {}
        response = app(environ, lambda status, headers, exc_info=None: answer.update(status=status, headers=headers))
        try:
            body = b"".join(response)
        finally:
            getattr(response, "close", lambda: None)()
        self.answers.append((environ.get("HTTP_IDEMPOTENCY_KEY", ""), int(answer["status"].split()[0])))
        if self.hold_next:  # filed; the agent never hears so
            self.hold_next = False
            self.held.set()
            self.release.wait(30)
        start_response(answer["status"], answer["headers"])
        return [body]

    def statuses(self, key: str) -> list[int]:
        return [status for answered_key, status in self.answers if answered_key == key]


def pixels(data: bytes) -> str:
    """A digest of an image's decoded pixels (mode and size included), whatever file format carries them."""
    with Image.open(io.BytesIO(data)) as image:
        return hashlib.sha256(f"{image.mode} {image.size} ".encode() + image.tobytes()).hexdigest()


def expected_pixels(stack: Stack, documents: list[int]) -> list[list[str]]:
    """The pixels of the pages of the documents numbered `documents` (1-based), in order."""
    every = stack.documents()
    return [[pixels(page.read_bytes()) for page in every[number - 1]] for number in documents]


def stored_pixels(appliance) -> list[list[str]]:
    """The pixels of every page of every document the appliance received (any batch), in order of arrival."""
    with appliance.uow_factory(read_only=True) as uow:
        documents = uow.intake.documents(limit=10_000)
        digests = [uow.intake.document_pages(document.id) for document in documents]
    return [[pixels(appliance.blob_store.open(digest).read()) for digest in pages] for pages in digests]


def main() -> None:
    """`dangan agent`, with the agent's log on stderr."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(threadName)s %(name)s %(levelname)s %(message)s")
    from appliance.cli.main import main as dangan

    sys.argv = ["dangan", "agent"]
    dangan()


if __name__ == "__main__":
    main()
