"""The expiry list: archived items whose retention period has run out, for the appraisal group (鉴定小组)."""

from dataclasses import dataclass

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.appraisal import ExpiryRule
from appliance.domain.catalogue import Item
from appliance.domain.codes import ArchivalCode, parse_archival_code
from appliance.services.fonds import require_fonds


@dataclass(frozen=True)
class ExpiryList:
    fonds: str
    as_of_year: int
    due_years: dict[str, int]  # per retention period, the newest filing year that is due
    counts: dict[tuple[int, str], int]  # items due per (year, retention)
    items: list[Item]  # one page of them, in code order
    next_after: ArchivalCode | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def expiry_list(uow_factory, fonds_code: str, as_of_year: int, after: str | None = None, limit: int = 50,
                rule: ExpiryRule = ExpiryRule(), scope: AccessScope = EVERYTHING) -> ExpiryList:
    """Items due for appraisal in `as_of_year`, counted per class, with one page of them.

    Raises NotFoundError for an unknown fonds, InvalidInputError for a bad year or page position.
    """
    due = rule.due_years(as_of_year)
    after_code = parse_archival_code(after) if after else None
    with uow_factory(read_only=True) as uow:
        fonds = require_fonds(uow, fonds_code.upper())
        counts = uow.catalogue.count_expired(fonds.code, due, scope)
        items = uow.catalogue.expired_items(fonds.code, due, after_code, limit + 1, scope)
    next_after = items[limit - 1].code if len(items) > limit else None
    return ExpiryList(fonds.code, as_of_year, due, counts, items[:limit], next_after)
