"""Split a scanned stack into documents at its cover sheets (protocol v1). Pure: no I/O, no devices.

Pages go in one at a time, in scan order; a document comes out as soon as the next cover sheet (or the end of the
stack) shows where it ends, so the agent can put it in the outbox while the scanner is still feeding.
"""

from dataclasses import dataclass, field

from appliance.domain.coversheet import (
    SEPARATOR_PAYLOAD,
    CoverKind,
    InvalidPayloadError,
    is_cover_payload,
    parse_payload,
)
from scanner_agent.pages import CapturedPage, PageReading, SplitDocument

NO_COVER_PROBLEM = "pages before the first cover sheet"
SEPARATOR_OUTSIDE_BATCH = "a separator sheet outside a batch (no DA1:BATCH sheet before it)"


@dataclass(frozen=True)
class CoverRead:
    page_number: int
    payload: str


@dataclass
class SplitReport:
    """The batch record: what the splitter saw, for the operator and the audit trail."""

    pages_scanned: int = 0
    covers: list[CoverRead] = field(default_factory=list)
    blank_backs_dropped: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    documents: list[tuple[int, str | None, int, str | None]] = field(default_factory=list)  # seq, cover, pages, problem


@dataclass
class _Cover:
    payload: str | None
    problem: str | None
    starts_batch: str | None = None  # the batch payload this cover opens, if any
    ends_batch: bool = True


class Splitter:
    """Feed pages with `add`, then call `finish`; both return the documents they completed."""

    def __init__(self):
        self.report = SplitReport()
        self._current: SplitDocument | None = None
        self._batch_payload: str | None = None
        self._last_sequence = 0
        self._back_of_cover_pending = False
        self._current_opened_batch = False

    def add(self, page: CapturedPage, reading: PageReading) -> list[SplitDocument]:
        self.report.pages_scanned += 1
        number = self.report.pages_scanned
        if reading.problem:
            self.report.notes.append(f"page {number}: barcodes could not be read ({reading.problem})")
        if self._back_of_cover_pending and page.side == "back":
            self._back_of_cover_pending = False
            if reading.blank:
                self.report.blank_backs_dropped.append(number)
                return []
            if not _cover_payloads(reading):
                self.report.notes.append(f"page {number}: the back of a cover sheet is not blank; kept as a page")
        self._back_of_cover_pending = False
        payloads = _cover_payloads(reading)
        if not payloads:
            return self._add_page(page, number)
        return self._start_at_cover(number, payloads, duplex=page.side == "front")

    def finish(self) -> list[SplitDocument]:
        """End of the stack: the document in progress is complete."""
        return self._close_current(None)

    def _add_page(self, page: CapturedPage, number: int) -> list[SplitDocument]:
        if self._current is None:
            self._current = self._new_document(None, NO_COVER_PROBLEM)
            self.report.notes.append(f"page {number}: {NO_COVER_PROBLEM}; these pages go to the intake queue")
        self._current.pages.append(page)
        return []

    def _start_at_cover(self, number: int, payloads: list[str], duplex: bool) -> list[SplitDocument]:
        for payload in payloads:
            self.report.covers.append(CoverRead(number, payload))
        cover = self._interpret(number, payloads)
        completed = self._close_current(number)
        if cover.ends_batch:
            self._batch_payload = cover.starts_batch
        self._current = self._new_document(cover.payload, cover.problem)
        self._current_opened_batch = cover.starts_batch is not None
        self._back_of_cover_pending = duplex
        return completed

    def _interpret(self, number: int, payloads: list[str]) -> _Cover:
        if len(payloads) > 1:
            listed = ", ".join(payloads)
            return _Cover(None, f"cover sheet on page {number} carries different payloads ({listed})")
        payload = payloads[0]
        try:
            cover = parse_payload(payload)
        except InvalidPayloadError as error:
            return _Cover(payload, str(error))
        if cover.kind is CoverKind.BATCH:
            return _Cover(payload, None, starts_batch=payload)
        if cover.kind is CoverKind.SEPARATOR:
            if self._batch_payload is None:
                return _Cover(SEPARATOR_PAYLOAD, SEPARATOR_OUTSIDE_BATCH)
            return _Cover(self._batch_payload, None, ends_batch=False)
        return _Cover(payload, None)

    def _close_current(self, next_cover_page: int | None) -> list[SplitDocument]:
        document, self._current = self._current, None
        if document is None:
            return []
        if not document.pages:
            self._last_sequence -= 1  # an empty document takes no number
            if next_cover_page is not None and not self._current_opened_batch:
                label = document.cover_payload or "unreadable cover"
                self.report.notes.append(
                    f"cover sheet {label} was followed by another cover sheet on page {next_cover_page}: "
                    "no pages, no document"
                )
            elif next_cover_page is None:
                self.report.notes.append(f"cover sheet {document.cover_payload} was the last sheet: no document")
            return []
        self.report.documents.append((document.sequence, document.cover_payload, len(document.pages),
                                      document.problem))
        return [document]

    def _new_document(self, payload: str | None, problem: str | None) -> SplitDocument:
        self._last_sequence += 1
        return SplitDocument(sequence=self._last_sequence, cover_payload=payload, problem=problem)


def _cover_payloads(reading: PageReading) -> list[str]:
    """Distinct cover payloads on a page; a QR and a Code 128 with the same text count once."""
    return list(dict.fromkeys(payload for payload in reading.payloads if is_cover_payload(payload)))
