"""Suggestions for filing an intake document: read from its header (文号, date, title, 责任者) and learned from
archived items (department, retention). A suggestion only fills a form field when a person presses it; when the
document is filed, each suggestion shown is recorded as accepted, changed or ignored, and the rates come from those.

The model is reached through a FilingModels port (appliance/adapters/filing_model.py, wired in
appliance/assistance_wiring.py); suggestions are computed when shown and again, identically, when recorded, so
looking at a document writes nothing.
"""

import datetime
from dataclasses import dataclass, field
from typing import Protocol

from appliance.domain.actors import Actor
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ForbiddenError, NotFoundError
from appliance.domain.filing_patterns import (
    FIELDS,
    FieldAcceptance,
    FilingSuggestion,
    ModelInfo,
    TrainingExample,
    header_suggestions,
    normalise_doc_number,
)
from appliance.domain.permissions import Action
from appliance.domain.scanning import IntakeDocumentView
from appliance.domain.sessions import Principal
from appliance.services import intake_review, item_editing
from appliance.services.audit import record

MODEL_FIELDS = ("department", "retention")
DESCRIPTIVE = ("title", "doc_number", "date", "responsible")  # typed on the filing form, set on the new item
TOP = 3
FIRST_MODEL_AT = 50  # archived items before a first model is worth training
GROWTH_SHARE = 0.2  # retrain once the archive grew by a fifth ...
GROWTH_ITEMS = 500  # ... or by this many items, whichever comes first
TRAINING_LIMIT = 20_000  # the newest archived items: enough to learn from, trained in well under a minute
TRAINER = Actor("system:assistance", "local")


class FilingPredictor(Protocol):
    def predict(self, text: str, limit: int) -> dict[str, list[tuple[str, float]]]:
        """{field: [(value, probability), ...]} best first."""


class TrainedModel(Protocol):
    sha256: str
    trained_items: int
    metrics: dict


class FilingModels(Protocol):
    def train(self, examples: list[TrainingExample]) -> TrainedModel:
        """Train, measure on a held-out split and store a model; raises OSError."""

    def load(self, sha256: str) -> FilingPredictor | None:
        """The stored model, or None when its file is missing or damaged."""


@dataclass(frozen=True)
class DocumentSuggestions:
    document: IntakeDocumentView
    fields: dict[str, list[FilingSuggestion]]  # field -> suggestions, best first; fields without any are absent
    model: ModelInfo | None = None


@dataclass(frozen=True)
class FilingChoice:
    """Where a person files a document (a registered item's code, or a class for a new item) and what they typed."""

    archival_code: str | None = None  # given: to this registered item; else a new item in class_text
    class_text: str = ""
    access_label: str = "内部"
    description: dict = field(default_factory=dict)  # title, doc_number, date, responsible: only those typed


def document_suggestions(uow_factory, models: FilingModels, document_id: int) -> DocumentSuggestions:
    """The suggestions for each field of an intake document; raises NotFoundError."""
    with uow_factory(read_only=True, consistent=False) as uow:
        return _suggestions(uow, models, document_id)


def _suggestions(uow, models: FilingModels, document_id: int) -> DocumentSuggestions:
    document = uow.intake.get_document(document_id)
    if document is None:
        raise NotFoundError(f"no intake document {document_id}")
    digests = uow.intake.document_pages(document_id)
    texts = uow.suggestions.page_texts(digests)
    text = "\n".join(texts[digest] for digest in digests if digest in texts)
    found: dict[str, list[FilingSuggestion]] = {}
    for pattern in header_suggestions(text):
        found[pattern.field] = [FilingSuggestion(pattern.field, pattern.value, 1, pattern.score, "header")]
    model = uow.suggestions.active_model()
    predictor = models.load(model.file_sha256) if model is not None and text.strip() else None
    if predictor is not None:
        for name, ranked in predictor.predict(text, TOP).items():
            found[name] = [FilingSuggestion(name, value, rank, round(score, 4), "model", model.id)
                           for rank, (value, score) in enumerate(ranked, start=1)]
    return DocumentSuggestions(document, {name: found[name] for name in FIELDS if name in found}, model)


def file_document(uow_factory, models: FilingModels, principal: Principal, document_id: int,
                  choice: FilingChoice, now: datetime.datetime) -> IntakeDocumentView:
    """File the document as chosen (to a registered item, or as a new item described by what was typed), then
    record how each suggestion shown fared. Raises what intake_review and item_editing raise, and ForbiddenError
    for a description by someone who may not describe items; a bad description is refused before anything is filed.
    """
    description = {name: value.strip() for name, value in choice.description.items()
                   if name in DESCRIPTIVE and value and value.strip()}
    if description:
        principal.require(Action.ITEM_EDIT_INTAKE)
        check_description(description)
    shown = document_suggestions(uow_factory, models, document_id)
    if choice.archival_code is not None:
        filed = intake_review.file_to_item(uow_factory, principal.actor, document_id, choice.archival_code)
        description = {}  # a registered item was described when it was registered, not by this filing
    else:
        filed = intake_review.file_as_new_item(uow_factory, principal.actor, document_id, choice.class_text,
                                               choice.access_label)
        if description:
            item_editing.edit_intake_item(uow_factory, principal.actor, filed.archival_code, description,
                                          principal.scope)
    record_outcomes(uow_factory, principal.actor, shown, filed.archival_code, description, now)
    return filed


def check_description(description: dict) -> None:
    """Raises InvalidInputError naming the first bad field of a typed description."""
    ItemFields.build(title=description.get("title", "—"), date=description.get("date", "20000101"),
                     responsible=description.get("responsible", ""), doc_number=description.get("doc_number", ""))


def record_outcomes(uow_factory, actor: Actor, shown: DocumentSuggestions, archival_code: str | None,
                    description: dict, now: datetime.datetime) -> int:
    """Store each suggestion shown with its outcome; returns how many. A document recorded before is left alone."""
    if not shown.fields or not archival_code:
        return 0
    code = parse_archival_code(archival_code)
    filed = {"department": code.department or "", "retention": code.retention, **description}
    with uow_factory() as uow:
        if uow.suggestions.has_outcomes(shown.document.id):
            return 0
        decided = [entry for name, offered in shown.fields.items()
                   for entry in field_outcomes(name, offered, filed.get(name, ""))]
        uow.suggestions.record(shown.document.id, None, decided, actor.name, now)
        uow.commit()
        return len(decided)


def field_outcomes(name: str, offered: list[FilingSuggestion], filed: str) -> list[tuple[FilingSuggestion, str, str]]:
    """accepted for the value filed, ignored for the others offered beside it; all changed when something else
    was filed; all ignored when nothing was."""
    final = comparable(name, filed)
    if not final:
        return [(suggestion, "ignored", "") for suggestion in offered]
    chosen = [suggestion for suggestion in offered if comparable(name, suggestion.value) == final]
    if not chosen:
        return [(suggestion, "changed", filed) for suggestion in offered]
    return [(suggestion, "accepted" if suggestion is chosen[0] else "ignored", filed) for suggestion in offered]


def comparable(name: str, value: str) -> str:
    """A value as compared: a 文号 in any bracket style is the same 文号; spaces do not count."""
    text = "".join((value or "").split())
    if name == "doc_number":
        return normalise_doc_number(text) or text
    return text.upper() if name in MODEL_FIELDS else text


def acceptance_rates(uow_factory) -> list[FieldAcceptance]:
    """Per field, how its suggestions fared over the documents filed (every field listed, zeros where none)."""
    with uow_factory(read_only=True, consistent=False) as uow:
        found = {entry.field: entry for entry in uow.suggestions.acceptance()}
    return [found.get(name, FieldAcceptance(name, 0, 0, 0, 0)) for name in FIELDS]


def training_due(archived: int, active: ModelInfo | None) -> bool:
    """A first model once there are FIRST_MODEL_AT archived items; a new one once the archive grew by a fifth or
    by GROWTH_ITEMS since the active model's count."""
    if active is None:
        return archived >= FIRST_MODEL_AT
    growth = archived - active.archived_watermark
    return growth >= GROWTH_ITEMS or growth >= max(1, GROWTH_SHARE * active.archived_watermark)


def retrain_if_due(uow_factory, models: FilingModels, now: datetime.datetime) -> ModelInfo | None:
    """Train and activate a new model when training_due says so (audited as assistance.model.train); None when
    not due. Raises OSError when the model file cannot be written (nothing is recorded then)."""
    with uow_factory(read_only=True, consistent=False) as uow:
        archived = uow.suggestions.count_archived()
        if not training_due(archived, uow.suggestions.active_model()):
            return None
        examples = uow.suggestions.training_examples(TRAINING_LIMIT)
    trained = models.train(examples)  # seconds: outside any transaction
    with uow_factory() as uow:
        model = uow.suggestions.add_model(now, trained.trained_items, archived, trained.metrics, trained.sha256)
        record(uow, TRAINER, "assistance.model.train", "suggestion_model", str(model.id),
               {"archived": archived, "sha256": trained.sha256, "metrics": trained.metrics})
        uow.commit()
        return model


def require_reviewer(principal: Principal) -> None:
    """Raises ForbiddenError unless the principal may review intake (and so see what it suggests)."""
    if not principal.may(Action.INTAKE_VIEW):
        raise ForbiddenError(f"{principal.username} may not {Action.INTAKE_VIEW.value}")
