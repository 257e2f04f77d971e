"""Findings of `catalogue check`: what an archivist must look at before trusting a catalogue."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from appliance.domain.codes import ClassKey


@dataclass(frozen=True)
class Finding:
    kind: str  # malformed | duplicate | gap | pages | date
    where: str  # an archival code, a class, or "row N"
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.where}: {self.message}"


def find_gaps(numbers_by_class: Iterable[tuple[ClassKey, list[int]]]) -> Iterator[Finding]:
    """Item numbers run gapless from 0001 in each class: report each missing run once."""
    for key, numbers in numbers_by_class:
        for first, last in missing_ranges(numbers):
            span = f"{first:04d}" if first == last else f"{first:04d}–{last:04d}"
            yield Finding("gap", key.label(), f"item number(s) {span} missing")


def missing_ranges(numbers: list[int]) -> Iterator[tuple[int, int]]:
    expected = 1
    for number in sorted(set(numbers)):
        if number > expected:
            yield expected, number - 1
        expected = number + 1


def check_date_year(where: str, code_year: int, date: str) -> Finding | None:
    """The year of the code is the year the document was signed (DA/T 22)."""
    if date[:4] != f"{code_year:04d}":
        return Finding("date", where, f"日期 {date} is not in the code's year {code_year}")
    return None


def check_page_count(where: str, pages: int, stored_pages: int | None) -> Finding | None:
    if stored_pages is not None and stored_pages != pages:
        return Finding("pages", where, f"页数 says {pages} but {stored_pages} page images are stored")
    if pages == 0:
        return Finding("pages", where, "页数 is 0")
    return None
