"""`dangan backup list|run|check|prune|drill` and `dangan restore`, for IT."""

import contextlib
import datetime

import click

from appliance.backup_wiring import backup_now, drill_now, ensure_passphrase, require_borg, restore_box
from appliance.cli.context import CliContext, pass_context
from appliance.cli.twin import paper_key_command
from appliance.domain.backup import BackupRun, RepositoryName, RestoreReport, RunState, Trigger
from appliance.domain.errors import DanganError
from appliance.services.backup import backup_overview, run_check, run_prune
from appliance.services.backup_schedule import box_lock

FAILED_EXIT = 2
repository_option = click.option("--local", "repository", flag_value=RepositoryName.LOCAL.value,
                                  default=RepositoryName.TWIN.value, help="The local-disk repository, not the twin.")


@click.group("backup")
def backup_group() -> None:
    """Borg backups of this box to its twin."""


@backup_group.command("list")
@pass_context
def list_command(context: CliContext) -> None:
    """Recent runs, the last good backup and check, and documents not yet backed up."""
    overview = backup_overview(context.appliance.uow_factory)
    click.echo(f"last backup: {_when(overview.last_backup)}; last check: {_when(overview.last_check)}; "
               f"documents since the last backup: {overview.documents_since_backup}")
    for run in overview.recent:
        click.echo(describe_run(run))


@backup_group.command("init")
@repository_option
@pass_context
def init_command(context: CliContext, repository: str) -> None:
    """Make the encrypted repository (on the twin: pair first) and print its paper key to keep offline."""
    ensure_passphrase(context.config)
    borg = require_borg(context.config, RepositoryName(repository))
    borg.init()
    click.echo(f"repository made: {borg.repository}")
    click.echo("Print this paper key and keep it offline with the passphrase "
               f"({context.config.backup.passphrase_file or 'secrets/borg-passphrase'}): without both, the backups "
               "cannot be opened.\n")
    click.echo(borg.export_paper_key())


@backup_group.command("run")
@repository_option
@pass_context
def run_command(context: CliContext, repository: str) -> int:
    """Back this box up now."""
    name = RepositoryName(repository)
    borg = require_borg(context.config, name)
    with _alone(context):
        return _show_run(backup_now(context.appliance, borg, Trigger.MANUAL, _now(), name))


@backup_group.command("check")
@click.option("--verify-data", is_flag=True, help="Read back every chunk and check it (slow).")
@repository_option
@pass_context
def check_command(context: CliContext, verify_data: bool, repository: str) -> int:
    """Check the repository's consistency."""
    name = RepositoryName(repository)
    borg = require_borg(context.config, name)
    with _alone(context):
        return _show_run(run_check(context.appliance, borg, verify_data, _now(), repository=name))


@backup_group.command("prune")
@repository_option
@pass_context
def prune_command(context: CliContext, repository: str) -> int:
    """Thin out old archives by the config's keep counts."""
    name = RepositoryName(repository)
    borg = require_borg(context.config, name)
    with _alone(context):
        return _show_run(run_prune(context.appliance, borg, _now(), repository=name))


@backup_group.command("drill")
@pass_context
def drill_command(context: CliContext) -> int:
    """Restore the latest archive into a scratch directory and verify it; the box is left as it is."""
    borg = require_borg(context.config)
    with _alone(context):
        return show_report(drill_now(context.appliance, borg, _now()))


@click.command("restore")
@click.option("--from", "source", type=click.Choice([name.value for name in RepositoryName]), default="twin",
              show_default=True, help="The twin, or the local (USB) repository.")
@click.option("--archive", default=None, help="The archive to restore (default: the latest).")
@click.option("--force", is_flag=True, help="Overwrite a box that already holds data.")
@pass_context
def restore_command(context: CliContext, source: str, archive: str | None, force: bool) -> int:
    """Rebuild this box from its twin and verify every blob, the counts and the audit chain."""
    report = restore_box(context.config, require_borg(context.config, RepositoryName(source)), archive, force,
                         _now())
    return show_report(report)


@contextlib.contextmanager
def _alone(context: CliContext):
    """Hold the box's backup lock, as the worker's scheduler does: never two runs at once, and a run started here
    is not taken by the worker for one cut short."""
    with box_lock(context.config.home) as held:
        if not held:
            raise BackupBusyError("a backup run is going on in the worker now: try again when it has finished "
                                  "(the console's backups page shows its progress)")
        yield


class BackupBusyError(DanganError):
    code = "backup_busy"


def show_report(report: RestoreReport) -> int:
    """Print a restore report check by check; the exit code is non-zero when a check failed."""
    click.echo(f"archive {report.archive} ({report.seconds:.1f} s)")
    for check in report.checks:
        click.echo(f"  {'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    if report.passed:
        click.echo("restore verified: the box may serve")
        return 0
    click.echo("RESTORE NOT VERIFIED: do not let this box serve; see the failed checks", err=True)
    return FAILED_EXIT


def describe_run(run: BackupRun) -> str:
    figures = run.stats
    sizes = ""
    if "archive_original_size" in figures:
        sizes = (f" {_megabytes(figures['archive_original_size'])} MB, "
                 f"{_megabytes(figures.get('archive_deduplicated_size', 0))} MB new, "
                 f"{figures.get('archive_nfiles', 0)} files")
    message = f" - {run.message}" if run.message else ""
    return (f"#{run.id} {run.kind.value} {run.repository.value} {run.started_at:%Y-%m-%d %H:%M:%S}Z "
            f"{run.state.value}{' ' + run.archive if run.archive else ''}{sizes}{message}")


def _show_run(run: BackupRun) -> int:
    click.echo(describe_run(run))
    return FAILED_EXIT if run.state is RunState.FAILED else 0


def _when(run: BackupRun | None) -> str:
    return f"{run.started_at:%Y-%m-%d %H:%M:%S}Z ({run.state.value})" if run else "never"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def register(cli: click.Group) -> None:
    backup_group.add_command(paper_key_command())
    cli.add_command(backup_group)
    cli.add_command(restore_command)
