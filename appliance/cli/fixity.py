"""`dangan fixity check|repair`: re-read every blob against its digest, and bring damaged ones back from a backup."""

import datetime
import sys

import click

from appliance.backup_wiring import require_borg
from appliance.cli.context import CliContext, pass_context
from appliance.domain.backup import RepositoryName
from appliance.domain.fixity import FixityReport, RepairOutcome, RepairReport
from appliance.fixity_wiring import fixity_now, repair_now

FAILED_EXIT = 2


@click.group("fixity")
def fixity_group() -> None:
    """The blob store's fixity: every stored file re-read and compared with its digest."""


@fixity_group.command("check")
@click.option("--quiet", is_flag=True, help="No progress lines, only the outcome.")
@pass_context
def check_command(context: CliContext, quiet: bool) -> int:
    """Re-read every stored blob; exit non-zero listing the damaged and missing ones."""
    report = _check(context, quiet)
    return _show_check(report)


@fixity_group.command("repair")
@click.option("--from", "source", type=click.Choice([name.value for name in RepositoryName]),
              default=RepositoryName.TWIN.value, show_default=True, help="The repository to take good copies from.")
@click.argument("digests", nargs=-1)
@pass_context
def repair_command(context: CliContext, source: str, digests: tuple[str, ...]) -> int:
    """Bring back DIGESTS (default: every blob that fails a check now) from the newest archive holding them intact."""
    repository = RepositoryName(source)
    borg = require_borg(context.config, repository)
    wanted = list(digests) or _check(context, quiet=True).digests()
    if not wanted:
        click.echo("every stored blob is whole: nothing to repair")
        return 0
    report = repair_now(context.appliance, borg, wanted, repository, actor=context.actor)
    return _show_repair(report)


def _check(context: CliContext, quiet: bool) -> FixityReport:
    def show(progress: dict) -> None:
        click.echo(f"\r{progress['checked']} blobs checked, {progress['bytes'] / 1_000_000:.1f} MB, "
                   f"{progress['failed']} failed", nl=False, err=True)

    report = fixity_now(context.appliance, _now(), None if quiet or not sys.stderr.isatty() else show)
    if not quiet and sys.stderr.isatty():
        click.echo("", err=True)
    return report


def _show_check(report: FixityReport) -> int:
    click.echo(f"{report.checked} blobs checked ({report.bytes_read / 1_000_000:.1f} MB) in {report.seconds:.1f} s")
    if report.passed:
        click.echo("fixity ok: every blob matches its digest")
        return 0
    for failure in report.failures:
        click.echo(f"{failure.fault.value.upper()} {failure.sha256}")
    more = report.failed - len(report.failures)
    click.echo(f"FIXITY FAILED: {report.failed} blobs damaged or missing{f' ({more} not listed)' if more else ''}; "
               "`dangan fixity repair` brings them back from the twin", err=True)
    return FAILED_EXIT


def _show_repair(report: RepairReport) -> int:
    for blob in report.blobs:
        source = f" from {blob.archive}" if blob.archive else ""
        click.echo(f"{blob.outcome.value} {blob.sha256}{source}")
    click.echo(f"archives searched in the {report.repository} repository: {len(report.archives_searched)}")
    if report.complete:
        return 0
    lost = report.with_outcome(RepairOutcome.NOT_FOUND) + report.with_outcome(RepairOutcome.UNKNOWN)
    click.echo(f"NOT REPAIRED: {len(lost)} blobs (no archive holds them intact, or no such stored blob)", err=True)
    return FAILED_EXIT


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def register(cli: click.Group) -> None:
    cli.add_command(fixity_group)
