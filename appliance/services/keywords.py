"""Keywords drawn from an item's text, offered as tags until a person accepts or dismisses them (issue 8)."""


def refresh_keywords(uow, item_id: int, text: str) -> None:
    """Inside a unit of work: offer the keywords of an item's whole OCR text. Being built."""
