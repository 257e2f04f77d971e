"""Filing suggestions offered, their outcomes, and the trained filing models."""

import datetime
import json

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import DerivativeRow, FilingSuggestionRow, ItemPageRow, ItemRow, SuggestionModelRow
from appliance.domain.filing_patterns import FieldAcceptance, FilingSuggestion, ModelInfo, TrainingExample
from appliance.domain.jobs import PAGE_OCR

CHUNK = 500
TEXT_PAGES = 2  # the first pages carry the header, title and first paragraphs the model reads


class SuggestionRepository:
    def __init__(self, session: Session):
        self.session = session

    # what the suggestions are read from

    def page_texts(self, digests: list[str]) -> dict[str, str]:
        """The newest OCR text of each page image that has one."""
        texts: dict[str, str] = {}
        for start in range(0, len(digests), CHUNK):
            query = (select(DerivativeRow.source_sha256, DerivativeRow.text)
                     .where(DerivativeRow.source_sha256.in_(digests[start:start + CHUNK]),
                            DerivativeRow.kind == PAGE_OCR, DerivativeRow.text.is_not(None))
                     .order_by(DerivativeRow.created_at))
            texts.update(dict(self.session.execute(query).all()))
        return texts

    def count_archived(self) -> int:
        return self.session.scalar(select(func.count()).select_from(ItemRow).where(ItemRow.state == "archived"))

    def training_examples(self, limit: int) -> list[TrainingExample]:
        """The newest `limit` archived items: title and the text of their first pages, department, retention."""
        query = (select(ItemRow.id, ItemRow.title, ItemRow.department, ItemRow.retention)
                 .where(ItemRow.state == "archived").order_by(ItemRow.id.desc()).limit(limit))
        items = self.session.execute(query).all()
        texts = self._first_page_texts([item.id for item in items])
        return [TrainingExample(f"{item.title}\n{texts.get(item.id, '')}", item.department or "", item.retention)
                for item in items]

    def _first_page_texts(self, item_ids: list[int]) -> dict[int, str]:
        pages: dict[int, dict[int, str]] = {}
        for start in range(0, len(item_ids), CHUNK):
            query = (select(ItemPageRow.item_id, ItemPageRow.sequence, DerivativeRow.text)
                     .join(DerivativeRow, and_(DerivativeRow.source_sha256 == ItemPageRow.blob_sha256,
                                               DerivativeRow.kind == PAGE_OCR))
                     .where(ItemPageRow.item_id.in_(item_ids[start:start + CHUNK]),
                            ItemPageRow.sequence <= TEXT_PAGES, DerivativeRow.text.is_not(None))
                     .order_by(DerivativeRow.created_at))
            for item_id, sequence, text in self.session.execute(query):
                pages.setdefault(item_id, {})[sequence] = text
        return {item_id: "\n".join(texts[key] for key in sorted(texts)) for item_id, texts in pages.items()}

    # models

    def active_model(self) -> ModelInfo | None:
        row = self.session.scalars(select(SuggestionModelRow).where(SuggestionModelRow.active)
                                   .order_by(SuggestionModelRow.id.desc()).limit(1)).first()
        return None if row is None else _to_model(row)

    def add_model(self, trained_at: datetime.datetime, trained_items: int, archived_watermark: int, metrics: dict,
                  file_sha256: str) -> ModelInfo:
        """Record a model and make it the active one (the others stay on record, inactive)."""
        self.session.execute(update(SuggestionModelRow).where(SuggestionModelRow.active).values(active=False))
        row = SuggestionModelRow(trained_at=trained_at, trained_items=trained_items,
                                 archived_watermark=archived_watermark, metrics=json.dumps(metrics, sort_keys=True),
                                 file_sha256=file_sha256, active=True)
        self.session.add(row)
        self.session.flush()
        return _to_model(row)

    # offers and outcomes

    def record(self, document_id: int | None, item_id: int | None, offered: list[tuple[FilingSuggestion, str, str]],
               username: str, at: datetime.datetime) -> None:
        """Store each suggestion with its outcome and the value finally filed."""
        for suggestion, outcome, final_value in offered:
            self.session.add(FilingSuggestionRow(
                document_id=document_id, item_id=item_id, field=suggestion.field, value=suggestion.value,
                rank=suggestion.rank, score=suggestion.score, source=suggestion.source,
                model_id=suggestion.model_id, offered_at=at, outcome=outcome, final_value=final_value,
                decided_by=username, decided_at=at))
        self.session.flush()

    def has_outcomes(self, document_id: int) -> bool:
        query = select(FilingSuggestionRow.id).where(FilingSuggestionRow.document_id == document_id).limit(1)
        return self.session.scalar(query) is not None

    def acceptance(self) -> list[FieldAcceptance]:
        """Per field, over the filings it was offered for: accepted (an offered value was filed), changed
        (something else was filed), ignored (the field was left as it was)."""
        accepted = func.max(case((FilingSuggestionRow.outcome == "accepted", 1), else_=0))
        changed = func.max(case((FilingSuggestionRow.outcome == "changed", 1), else_=0))
        filing = func.coalesce(FilingSuggestionRow.document_id, -FilingSuggestionRow.item_id)
        per_filing = (select(FilingSuggestionRow.field, accepted.label("accepted"), changed.label("changed"))
                      .where(FilingSuggestionRow.outcome.is_not(None))
                      .group_by(FilingSuggestionRow.field, filing).subquery())
        query = (select(per_filing.c.field, func.count(), func.sum(per_filing.c.accepted),
                        func.sum(case((and_(per_filing.c.accepted == 0, per_filing.c.changed == 1), 1), else_=0)))
                 .group_by(per_filing.c.field))
        return [FieldAcceptance(field, offered, int(accepted_count or 0), int(changed_count or 0),
                                offered - int(accepted_count or 0) - int(changed_count or 0))
                for field, offered, accepted_count, changed_count in self.session.execute(query)]


def _to_model(row: SuggestionModelRow) -> ModelInfo:
    return ModelInfo(row.id, row.trained_at, row.trained_items, row.archived_watermark, json.loads(row.metrics or "{}"),
                     row.file_sha256)
