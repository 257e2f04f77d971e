"""Export the catalogue (xlsx, csv, or the printed 归档文件目录 as PDF); every export is audited."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.domain.actors import Actor
from appliance.domain.catalogue import Fonds, Item, ItemFilter
from appliance.services.audit import record
from appliance.services.fonds import require_fonds


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs besides the items: the fonds, its department names, category names."""

    fonds: Fonds
    departments: dict[str, str]
    categories: dict[str, str]


Writer = Callable[[Path, Iterable[Item], ExportContext], int]


def export_catalogue(uow_factory, actor: Actor, item_filter: ItemFilter, destination: Path, writer: Writer,
                     format_name: str) -> int:
    """Stream the filtered items in code order into `writer`; returns the number of rows written."""
    with uow_factory(read_only=True) as uow:
        fonds = require_fonds(uow, item_filter.fonds)
        context = ExportContext(fonds, uow.catalogue.departments(fonds.code), uow.catalogue.categories())
        count = writer(destination, uow.catalogue.iterate_items(item_filter), context)
    with uow_factory() as uow:
        details = {
            "format": format_name,
            "file": destination.name,
            "rows": count,
            "filter": {key: value for key, value in item_filter.__dict__.items() if value is not None},
        }
        record(uow, actor, "catalogue.export", "fonds", fonds.code, details)
        uow.commit()
    return count
