"""`dangan catalogue import|export|check`."""

from pathlib import Path

import click

from appliance.adapters.catalogue_files import WRITERS
from appliance.adapters.tables import read_rows
from appliance.cli.context import CliContext, pass_context
from appliance.domain.catalogue import ItemFilter, ItemState, parse_access_label
from appliance.domain.errors import ImportRefusedError, InvalidInputError
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services.catalogue_check import check_catalogue, check_catalogue_file
from appliance.services.catalogue_export import export_catalogue
from appliance.services.catalogue_import import import_catalogue

FILE = click.Path(path_type=Path)
STATES = click.Choice([state.value for state in ItemState if state is not ItemState.DESTROYED])


@click.group("catalogue")
def catalogue_group() -> None:
    """The catalogue (归档文件目录): import, export, check."""


@catalogue_group.command("import")
@click.argument("file", type=FILE)
@click.option("--encoding", default=None, help="CSV text encoding (default: UTF-8, else GB18030)")
@click.option("--state", type=STATES, default=ItemState.ARCHIVED.value, show_default=True,
              help="state of the imported items: records kept on paper are already archived")
@click.option("--add-departments", is_flag=True, help="create departments the file names but the fonds lacks")
@pass_context
def import_command(context: CliContext, file: Path, encoding, state, add_departments) -> None:
    """Import FILE (.xlsx or .csv with the 2015 column headers); all rows or none."""
    appliance = context.appliance
    try:
        report = import_catalogue(
            appliance.uow_factory, appliance.blob_store, context.actor, file, read_rows(file, encoding),
            state=ItemState(state), default_label=_default_label(context), add_departments=add_departments,
        )
    except ImportRefusedError as error:
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise InvalidInputError(
            f"{file.name} refused: {len(error.problems)} problem(s); nothing was imported"
        ) from None
    click.echo(f"imported {report.items} items in {report.classes} classes ({report.first_code} … "
               f"{report.last_code}); source sha256 {report.source_sha256}")
    for department in report.departments_added:
        click.echo(f"department added: {department}")


@catalogue_group.command("export")
@click.option("--fonds", required=True)
@click.option("--year", type=int, default=None)
@click.option("--retention", type=click.Choice(list(RETENTION_PERIODS), case_sensitive=False), default=None)
@click.option("--department", default=None)
@click.option("--format", "format_name", type=click.Choice(sorted(WRITERS)), default="xlsx", show_default=True)
@click.option("-o", "--output", type=FILE, required=True, help="file to write")
@pass_context
def export_command(context: CliContext, fonds, year, retention, department, format_name, output: Path) -> None:
    """Export the catalogue of a fonds (or one year, retention, department of it)."""
    if output.is_dir():
        raise InvalidInputError(f"{output} is a directory; name the file to write")
    item_filter = ItemFilter(fonds.upper(), year, retention.upper() if retention else None,
                             department.upper() if department else None)
    count = export_catalogue(context.appliance.uow_factory, context.actor, item_filter, output,
                             WRITERS[format_name], format_name)
    click.echo(f"exported {count} items to {output}")


@catalogue_group.command("check")
@click.option("--fonds", default=None, help="check the catalogue of this fonds in the database")
@click.option("--encoding", default=None, help="CSV text encoding of FILE")
@click.argument("file", type=FILE, required=False)
@pass_context
def check_command(context: CliContext, fonds, encoding, file: Path | None) -> int:
    """Check a fonds (--fonds) or a FILE before importing it: codes, duplicates, gaps, pages, dates."""
    if (fonds is None) == (file is None):
        raise click.UsageError("give either --fonds CODE or a FILE to check")
    uow_factory = context.appliance.uow_factory
    if file is not None:
        findings = check_catalogue_file(uow_factory, read_rows(file, encoding), _default_label(context))
    else:
        findings = check_catalogue(uow_factory, fonds)
    for finding in findings:
        click.echo(str(finding))
    click.echo(f"{len(findings)} finding(s)" if findings else "no findings: the catalogue is in order")
    return 1 if findings else 0


def _default_label(context: CliContext):
    return parse_access_label(context.appliance.config.catalogue.default_access_label)


def register(cli: click.Group) -> None:
    cli.add_command(catalogue_group)
