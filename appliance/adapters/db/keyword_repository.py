"""Keywords drawn from items' text, offered as tags, and what people decided about them."""

import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import ItemKeywordRow
from appliance.domain.filing_patterns import ItemKeyword

STATE_ORDER = {"accepted": 0, "suggested": 1, "dismissed": 2}


class KeywordRepository:
    def __init__(self, session: Session):
        self.session = session

    def for_item(self, item_id: int) -> list[ItemKeyword]:
        """Every keyword of the item: accepted first, then suggested, then dismissed, heaviest first within each."""
        rows = self.session.scalars(select(ItemKeywordRow).where(ItemKeywordRow.item_id == item_id))
        found = [_to_keyword(row) for row in rows]
        return sorted(found, key=lambda keyword: (STATE_ORDER[keyword.state], -keyword.weight, keyword.keyword))

    def get(self, item_id: int, keyword: str) -> ItemKeyword | None:
        row = self.session.get(ItemKeywordRow, (item_id, keyword))
        return None if row is None else _to_keyword(row)

    def accepted(self, item_ids: list[int]) -> dict[int, list[str]]:
        """The accepted tags of each item that has any, in alphabetical order."""
        query = (select(ItemKeywordRow.item_id, ItemKeywordRow.keyword)
                 .where(ItemKeywordRow.item_id.in_(item_ids), ItemKeywordRow.state == "accepted")
                 .order_by(ItemKeywordRow.item_id, ItemKeywordRow.keyword))
        tags: dict[int, list[str]] = {}
        for item_id, keyword in self.session.execute(query):
            tags.setdefault(item_id, []).append(keyword)
        return tags

    def replace_suggested(self, item_id: int, weighted: list[tuple[str, float]]) -> None:
        """Drop the item's suggested keywords and offer these; a keyword already accepted or dismissed stays as
        it was (a person's decision outlives a new reading of the text)."""
        self.session.execute(delete(ItemKeywordRow).where(ItemKeywordRow.item_id == item_id,
                                                          ItemKeywordRow.state == "suggested"))
        self.session.flush()
        decided = set(self.session.scalars(select(ItemKeywordRow.keyword).where(ItemKeywordRow.item_id == item_id)))
        for keyword, weight in weighted:
            if keyword not in decided:
                self.session.add(ItemKeywordRow(item_id=item_id, keyword=keyword, weight=weight, origin="text",
                                                state="suggested"))
                decided.add(keyword)
        self.session.flush()

    def decide(self, item_id: int, keyword: str, state: str, username: str, at: datetime.datetime) -> None:
        self.session.execute(update(ItemKeywordRow)
                             .where(ItemKeywordRow.item_id == item_id, ItemKeywordRow.keyword == keyword)
                             .values(state=state, decided_by=username, decided_at=at))

    def add_manual(self, item_id: int, keyword: str, username: str, at: datetime.datetime) -> None:
        self.session.add(ItemKeywordRow(item_id=item_id, keyword=keyword, weight=0.0, origin="manual",
                                        state="accepted", decided_by=username, decided_at=at))
        self.session.flush()


def _to_keyword(row: ItemKeywordRow) -> ItemKeyword:
    return ItemKeyword(row.keyword, row.weight, row.origin, row.state, row.decided_by, row.decided_at)
