"""Intake: where a delivered document goes, decided from its cover sheet and the catalogue."""

import enum
from dataclasses import dataclass

from appliance.domain.catalogue import AccessLabel, ItemFields, ItemState

PLACEHOLDER_TITLE = "[待著录]"  # a supplied title, in [ ]: the archivist describes the item during review


class IntakeState(enum.StrEnum):
    FILED = "filed"  # added to a registered item
    NEW_ITEM = "new-item"  # a new item in a batch's class
    INTAKE = "intake"  # waits in the intake queue for a person, with the reason
    MERGED = "merged"  # its pages were moved into other documents during review; kept for the record


@dataclass(frozen=True)
class IntakeReceipt:
    document_id: int
    state: IntakeState
    archival_code: str | None
    reason: str | None
    replay: bool = False  # the same document was delivered before; nothing changed now

    def as_dict(self) -> dict:
        return {"document": self.document_id, "state": self.state.value, "archival_code": self.archival_code,
                "reason": self.reason}


def placeholder_fields(access_label: AccessLabel) -> ItemFields:
    """The fields of an item made from a batch document: to be described before it can be archived."""
    return ItemFields(title=PLACEHOLDER_TITLE, date="", access_label=access_label, supplied_title=True)


def refusal_for_item_state(code: str, state: ItemState) -> str | None:
    """Why pages may not be added to an item in this state, or None when they may."""
    if state is ItemState.INTAKE:
        return None
    if state is ItemState.ARCHIVED:
        return f"item {code} is already archived; its content is fixed, so these pages were not added to it"
    return f"item {code} was destroyed; these pages were not added to it"
