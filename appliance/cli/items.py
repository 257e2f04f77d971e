"""`dangan item add|show`."""

from pathlib import Path

import click

from appliance.cli.context import CliContext, pass_context
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.retention import RETENTION_PERIODS
from appliance.services import items as item_service


@click.group("item")
def item_group() -> None:
    """Items (件) of the catalogue."""


@item_group.command("add")
@click.option("--fonds", required=True, help="fonds number, e.g. Z109")
@click.option("--category", default="WS", show_default=True)
@click.option("--year", required=True, type=click.IntRange(1000, 9999))
@click.option("--retention", required=True, type=click.Choice(list(RETENTION_PERIODS), case_sensitive=False))
@click.option("--department", default=None, help="3-letter code; omit for a year-retention fonds")
@click.option("--title", required=True, help="题名; a title you supply goes in [ ]")
@click.option("--date", "date_text", required=True, help="日期, YYYYMMDD")
@click.option("--responsible", default="", help="责任者")
@click.option("--doc-number", default="", help="文号")
@click.option("--access", "access_label", default=None, help="公开, 内部 or 受控")
@click.option("--pages", default=0, type=click.IntRange(0), help="页数 (taken from --page files if given)")
@click.option("--notes", default="", help="备注")
@click.option("--page", "page_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="a page image to store with the item (repeat, in page order)")
@pass_context
def add_item(context: CliContext, fonds, category, year, retention, department, title, date_text, responsible,
             doc_number, access_label, pages, notes, page_files) -> None:
    """Register an item with the next free item number of its class."""
    appliance = context.appliance
    fields = ItemFields.build(title=title, date=date_text, responsible=responsible, doc_number=doc_number,
                              access_label=access_label or appliance.config.catalogue.default_access_label,
                              pages=pages, notes=notes)
    key = ClassKey(fonds, category, year, retention, department)
    item = item_service.add_item(appliance.uow_factory, appliance.blob_store, context.actor, key, fields,
                                 list(page_files))
    click.echo(item.archival_code)


@item_group.command("show")
@click.argument("code")
@pass_context
def show_item(context: CliContext, code: str) -> None:
    """Show the item with archival code CODE, its pages and its history."""
    view = item_service.show_item(context.appliance.uow_factory, code)
    item, fields = view.item, view.item.fields
    lines = [
        ("档号", item.archival_code), ("状态 state", item.state.value), ("文号", fields.doc_number),
        ("责任者", fields.responsible), ("题名", fields.title), ("日期", fields.date),
        ("密级", fields.access_label.value), ("页数", str(fields.pages)), ("备注", fields.notes),
    ]
    for label, value in lines:
        click.echo(f"{label}: {value}")
    for number, page in enumerate(view.pages, start=1):
        click.echo(f"page {number}: sha256 {page.sha256} sm3 {page.sm3} {page.size} bytes")
    for event in view.history:
        click.echo(f"history: #{event.seq} {event.occurred_at} {event.actor} {event.action} {event.result}")


def register(cli: click.Group) -> None:
    cli.add_command(item_group)
