"""`dangan coversheet`, `dangan ingest`, `dangan scan`, `dangan intake`, `dangan agent`, `dangan worker`."""

import logging
import threading
from pathlib import Path

import click

from appliance.adapters.coversheet_pdf import CoverSheet, render_cover_sheets
from appliance.cli.context import CliContext, pass_context
from appliance.cli.signals import stop_on_signals
from appliance.domain.catalogue import ItemFilter
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services import coversheets, scanners

OUTPUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group("coversheet")
def coversheet_group() -> None:
    """Print cover sheets (PDF): per item, or a batch sheet with separators."""


@coversheet_group.command("items")
@click.argument("codes", nargs=-1)
@click.option("--fonds", default=None, help="every item of this fonds (narrow with --year, --retention)")
@click.option("--year", type=int, default=None)
@click.option("--retention", type=click.Choice(list(RETENTION_PERIODS), case_sensitive=False), default=None)
@click.option("--department", default=None)
@click.option("-o", "--output", type=OUTPUT, required=True)
@pass_context
def item_sheets(context: CliContext, codes, fonds, year, retention, department, output: Path) -> None:
    """One cover sheet per registered item: the archival codes given, or the items of a fonds."""
    item_filter = None
    if fonds:
        item_filter = ItemFilter(fonds.upper(), year, retention.upper() if retention else None,
                                 department.upper() if department else None)
    sheets = coversheets.item_cover_sheets(context.appliance.uow_factory, list(codes), item_filter)
    _write_sheets(sheets, output)


@coversheet_group.command("batch")
@click.argument("class_text", metavar="FONDS/CATEGORY/YEAR/RETENTION[/DEPARTMENT]")
@click.option("--separators", default=10, show_default=True, type=click.IntRange(0, 1000))
@click.option("-o", "--output", type=OUTPUT, required=True)
@pass_context
def batch_sheets(context: CliContext, class_text: str, separators: int, output: Path) -> None:
    """A batch sheet (each document after it becomes a new item of the class) and separator sheets."""
    sheets = coversheets.batch_cover_sheets(context.appliance.uow_factory, class_text, separators)
    _write_sheets(sheets, output)


def _write_sheets(sheets, output: Path) -> None:
    pdf = render_cover_sheets([CoverSheet(sheet.payload, sheet.heading, list(sheet.lines)) for sheet in sheets])
    output.write_bytes(pdf)
    click.echo(f"{len(sheets)} cover sheets written to {output}")


@click.command("scan")
@click.option("--agent", "agent_name", required=True, help="the scanner agent's name (see `dangan scanners`)")
@click.option("--device", required=True, help="SANE device name, or `virtual`")
@click.option("--preset", type=click.Choice(["colour", "greyscale", "bitonal"]), default="colour", show_default=True)
@click.option("--duplex", is_flag=True)
@click.option("--resume", "resume_batch", default=None, help="continue an interrupted batch")
@pass_context
def scan_command(context: CliContext, agent_name, device, preset, duplex, resume_batch) -> None:
    """Ask a scanner agent to scan a batch from its document feeder."""
    request = scanners.request_scan(context.appliance.uow_factory, context.actor, agent_name, device, preset,
                                    duplex, resume_batch)
    click.echo(f"scan request {request.id} queued for agent {agent_name}")


@click.command("intake")
@pass_context
def intake_command(context: CliContext) -> None:
    """The intake queue: delivered documents waiting for a person, with the reason."""
    for document in scanners.intake_queue(context.appliance.uow_factory):
        click.echo(f"#{document.id} batch {document.batch_id} doc {document.sequence}: {document.pages} pages, "
                   f"{document.reason}")


@click.command("agent")
@pass_context
def agent_command(context: CliContext) -> None:
    """Run the scanner agent (devices, hotplug, hot folder, outbox, delivery) until stopped."""
    from scanner_agent.main import run_agent

    _log_to_stderr()
    run_agent(context.config)  # the agent talks to the appliance over HTTP only: no database here


@click.command("worker")
@pass_context
def worker_command(context: CliContext) -> None:
    """Run the worker (OCR and access copies from the job queue) until stopped."""
    from appliance.worker import Worker

    _log_to_stderr()
    appliance = context.appliance
    stop = threading.Event()
    with stop_on_signals(stop):
        Worker(appliance, appliance.config.worker.processes or None).run(stop)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--operator", default="", help="who scanned these files (recorded with the pages)")
@pass_context
def ingest_command(context: CliContext, paths, operator: str) -> int:
    """Put image, multi-page TIFF and PDF files through the capture pipeline, like a scanned stack."""
    from appliance.cli.ingest import ingest_and_deliver

    return ingest_and_deliver(context.config, list(paths), operator)


def _log_to_stderr() -> None:
    """Services log what they do at INFO to stderr: the journal (systemd) or the terminal keeps it."""
    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")


def register(cli: click.Group) -> None:
    for command in (coversheet_group, scan_command, intake_command, agent_command, worker_command, ingest_command):
        cli.add_command(command)
