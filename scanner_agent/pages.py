"""A captured page and a split document: what flows from a page source (scanner or file) to the outbox."""

import hashlib
from dataclasses import dataclass, field

from appliance.domain.intake_manifest import document_key


@dataclass(frozen=True)
class CapturedPage:
    """One page as captured. `data` is the master as it will be stored: lossless PNG for a scan or a
    rasterised PDF page, the file's own bytes for an image file (a JPEG stays the JPEG delivered)."""

    data: bytes
    media_type: str  # image/png, image/jpeg, image/tiff
    resolution: int  # dpi
    colour_mode: str  # colour, greyscale, bitonal
    origin: str  # device name, or file path with page number
    side: str | None = None  # front or back in a duplex scan
    # The decoded picture while the page is fresh from the scanner, so the barcode reader need not decode the PNG
    # again (34 ms a page instead of 78); dropped once the page is read, so documents do not hold pixels twice.
    image: object | None = field(default=None, compare=False, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class PageReading:
    """What the barcode reader found on a page: its distinct barcode texts, whether it is blank, and why it could
    not be read (the decoder crashed or timed out: no cover sheet is assumed, and the batch report says so)."""

    payloads: list[str]
    blank: bool = False
    problem: str | None = None


@dataclass
class SplitDocument:
    """Pages that belong together, with the cover sheet that named them (None: no cover before them)."""

    sequence: int  # 1, 2, ... inside its batch
    cover_payload: str | None
    problem: str | None = None  # why the pages cannot be filed from the cover alone; they go to intake
    pages: list[CapturedPage] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The idempotency key: the SHA-256 of the document's content (its cover and its pages in order)."""
        return document_key(self.cover_payload, [page.sha256 for page in self.pages])
