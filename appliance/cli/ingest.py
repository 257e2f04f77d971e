"""`dangan ingest`: files through the same pipeline as a scan, into the agent's outbox, delivered at once if the
appliance answers (else the running agent delivers them later)."""

import contextlib
from pathlib import Path

import click

from appliance.config import Config
from scanner_agent.agent import appliance_clients
from scanner_agent.appliance_client import ApplianceUnavailableError
from scanner_agent.barcodes import IsolatedDecoder
from scanner_agent.delivery import Deliverer
from scanner_agent.file_sources import expand_paths
from scanner_agent.ingest import ingest_files
from scanner_agent.main import agent_settings
from scanner_agent.outbox import Outbox
from scanner_agent.reports import ReportSpool


def ingest_and_deliver(config: Config, paths: list[Path], operator: str) -> int:
    settings = agent_settings(config)
    outbox = Outbox(settings.spool / "outbox")
    outbox.recover()
    files = expand_paths(paths)
    reports = ReportSpool(settings.spool / "reports")
    with IsolatedDecoder() as decoder:
        report, rejected = ingest_files(files, settings.spool / "batches", outbox,
                                        lambda page: decoder.read(page.data),
                                        lambda report: reports.keep(report["id"], "finished", report),
                                        operator or settings.operator)
    _print_report(report, rejected)
    intake, client = appliance_clients(settings)
    deliverer = Deliverer(outbox, intake)
    delivered = deliverer.run_once()
    status = deliverer.status()
    click.echo(f"delivered {delivered}; {status.pending} waiting in the outbox"
               + (f" ({status.last_error}); the agent delivers them when the appliance answers"
                  if status.pending else ""))
    with contextlib.suppress(ApplianceUnavailableError):  # else the agent sends it with its next heartbeat
        reports.send_all(client)
    return 2 if rejected else 0


def _print_report(report: dict, rejected: list) -> None:
    click.echo(f"batch {report['id']}: {report['pages_scanned']} pages, {len(report['documents'])} documents")
    for document in report["documents"]:
        where = document["cover"] or "no cover sheet"
        problem = f" — {document['problem']}" if document["problem"] else ""
        click.echo(f"  document {document['sequence']}: {document['pages']} pages, {where}{problem}")
    for note in report["notes"]:
        click.echo(f"  note: {note}")
    for path, reason in rejected:
        click.echo(f"  set aside {path}: {reason}", err=True)
