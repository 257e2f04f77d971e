"""Background jobs and what they derive from stored originals."""

import hashlib
from dataclasses import dataclass

OCR_PAGE = "ocr-page"
ACCESS_COPY = "access-copy"
STAMP_ACCESS_COPY = "stamp-access-copy"  # job kinds
ITEM_TEXT = "item-text"  # an item's OCR text is complete: offer keywords, link the documents it cites
CITED_BY = "cited-by"  # items registered in bulk: link the texts read earlier that cite their 文号
PAGE_OCR = "page-ocr"  # derivative kinds
ACCESS_PDF = "access-pdf"
STAMPED_ACCESS_PDF = "stamped-access-pdf"  # the archived item's access copy with the 归档章 on its first page


def stamp_source(archival_code: str) -> str:
    """What a stamped copy derives from: the item by its final code (the stamp prints it)."""
    return hashlib.sha256(f"archived:{archival_code}".encode()).hexdigest()


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict
    attempts: int


@dataclass(frozen=True)
class Derivative:
    source_sha256: str  # the original's digest, or a digest of the page list for a document's copy
    kind: str
    generator: str  # engine, version and settings: a new generator makes new derivatives
    blob_sha256: str | None
    text: str | None


def page_list_digest(page_digests: list[str]) -> str:
    """Names the ordered set of pages an access copy was built from."""
    return hashlib.sha256("\n".join(page_digests).encode("ascii")).hexdigest()
