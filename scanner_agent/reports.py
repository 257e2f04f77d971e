"""What the appliance must hear from the agent even if it is down when it happens: batch reports and how each
scan request ended. Kept on disk (atomically) until sent, so a restart or an outage loses none of it."""

import json
import logging
import os
import threading
from pathlib import Path

from scanner_agent.appliance_client import ApplianceClient, ApplianceRefusedError
from scanner_agent.durable import fsync_directory, write_file

log = logging.getLogger("dangan.agent")

BATCH, OUTCOME, RUNNING = "batch-", "outcome-", "running-"


class ReportSpool:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._sending = threading.Lock()  # the heartbeat and the end of a scan both send

    def keep(self, batch_id: str, state: str, report: dict) -> None:
        self._write(f"{BATCH}{batch_id}.json", {"state": state, "report": report})

    def keep_outcome(self, request_id: int, outcome: str, batch_id: str | None, message: str | None) -> None:
        self._write(f"{OUTCOME}{request_id}.json", {"outcome": outcome, "batch": batch_id, "message": message})
        (self.directory / f"{RUNNING}{request_id}.json").unlink(missing_ok=True)

    def mark_running(self, request_id: int, batch_id: str | None) -> None:
        """A scan under way: if the agent dies before it ends, `recover` reports it failed."""
        self._write(f"{RUNNING}{request_id}.json", {"batch": batch_id})

    def recover(self) -> None:
        for path in self.directory.glob(f"{RUNNING}*.json"):
            batch = json.loads(path.read_text(encoding="utf-8"))["batch"]
            message = "the agent stopped during this scan" + (f"; resume batch {batch}" if batch else "")
            self.keep_outcome(int(path.stem[len(RUNNING):]), "failed", batch, message)

    def send_all(self, client: ApplianceClient) -> None:
        """Send what is kept, oldest name first; raises ApplianceUnavailableError and keeps the rest."""
        with self._sending:
            self._send_kept(client)

    def _send_kept(self, client: ApplianceClient) -> None:
        for path in sorted(self.directory.glob(f"{BATCH}*.json")):
            stored = json.loads(path.read_text(encoding="utf-8"))
            self._send(path, client.record_batch, path.stem[len(BATCH):], stored["state"], stored["report"])
        for path in sorted(self.directory.glob(f"{OUTCOME}*.json")):
            stored = json.loads(path.read_text(encoding="utf-8"))
            self._send(path, client.finish_scan, int(path.stem[len(OUTCOME):]), stored["outcome"], stored["batch"],
                       stored["message"])

    @staticmethod
    def _send(path: Path, call, *arguments) -> None:
        try:
            call(*arguments)
        except ApplianceRefusedError as error:  # e.g. a request the appliance no longer knows: never sendable
            log.warning("%s dropped: %s", path.name, error)
        path.unlink()

    def _write(self, name: str, content: dict) -> None:
        path = self.directory / name
        temp = path.with_suffix(".tmp")
        write_file(temp, json.dumps(content, ensure_ascii=False).encode("utf-8"))
        os.replace(temp, path)
        fsync_directory(self.directory)
