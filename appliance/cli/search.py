"""`dangan search reindex`: rebuild the full-text index from the catalogue and the OCR texts."""

import sys

import click

from appliance.cli.context import CliContext, pass_context
from appliance.search_wiring import reindex_box


@click.group("search")
def search_group() -> None:
    """The full-text index over catalogue fields and OCR text."""


@search_group.command("reindex")
@click.option("--processes", type=click.IntRange(1, 64), help="processes that index at once (default: the cores)")
@pass_context
def reindex_command(context: CliContext, processes: int | None) -> None:
    """Rebuild every item's index entry, a batch at a time; searching keeps working meanwhile."""
    with click.progressbar(length=1, label="indexing", show_pos=True, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = total  # known after the first batch: the count is read once the bar is drawn
            bar.update(done - bar.pos)

        indexed = reindex_box(context.appliance, progress, processes)
    click.echo(f"indexed {indexed} items")


def register(cli: click.Group) -> None:
    cli.add_command(search_group)
