"""Batch reports waiting to reach the appliance: kept on disk so a report is not lost while the web is down."""

import json
import os
from pathlib import Path

from scanner_agent.appliance_client import ApplianceClient


class ReportSpool:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def keep(self, batch_id: str, state: str, report: dict) -> None:
        path = self.directory / f"{batch_id}.json"
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps({"state": state, "report": report}, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, path)

    def send_all(self, client: ApplianceClient) -> None:
        """Send the kept reports, oldest name first; raises ApplianceUnavailableError and keeps the rest."""
        for path in sorted(self.directory.glob("*.json")):
            stored = json.loads(path.read_text(encoding="utf-8"))
            client.record_batch(path.stem, stored["state"], stored["report"])
            path.unlink()
