"""`catalogue check`: malformed codes, duplicates, gaps in item numbers, page counts, date years."""

from collections import defaultdict
from collections.abc import Iterator
from itertools import groupby

from appliance.domain.catalogue import AccessLabel
from appliance.domain.checks import Finding, check_date_year, check_page_count, find_gaps
from appliance.domain.codes import ClassKey, parse_archival_code
from appliance.domain.errors import InvalidInputError
from appliance.services.catalogue_import import ClassContext, RowValidation, validated_rows
from appliance.services.fonds import require_fonds

MAX_FINDINGS = 10_000


def check_catalogue(uow_factory, fonds_code: str) -> list[Finding]:
    """All findings for one fonds in the database, in code order (at most MAX_FINDINGS)."""
    with uow_factory(read_only=True) as uow:
        fonds = require_fonds(uow, fonds_code)
        stored_pages = uow.blobs.page_counts(fonds.code)
        findings = list(_item_findings(uow.catalogue.stored_items(fonds.code), stored_pages))
        grouped = groupby(uow.catalogue.class_numbers(fonds.code), key=lambda pair: pair[0])
        findings.extend(find_gaps((key, [number for _, number in pairs]) for key, pairs in grouped))
    return findings[:MAX_FINDINGS]


def _item_findings(stored_items, stored_pages: dict[str, int]) -> Iterator[Finding]:
    for stored_code, item in stored_items:
        try:
            parsed = parse_archival_code(stored_code)
        except InvalidInputError as error:
            yield Finding("malformed", stored_code, str(error))
            continue
        if parsed != item.code:
            yield Finding("malformed", stored_code, f"does not match its parts ({item.code.format()})")
        for finding in (
            check_date_year(stored_code, item.code.year, item.fields.date),
            check_page_count(stored_code, item.fields.pages, stored_pages.get(stored_code)),
        ):
            if finding is not None:
                yield finding


def check_catalogue_file(uow_factory, rows, default_label: AccessLabel = AccessLabel.INTERNAL) -> list[Finding]:
    """Check a file before importing it: every row problem, plus gaps against what is already filed."""
    validation = RowValidation()
    findings: list[Finding] = []
    numbers: dict[ClassKey, list[int]] = defaultdict(list)
    with uow_factory(read_only=True) as uow:
        context = ClassContext(uow, False, validation)
        for code, fields in validated_rows(context, rows, validation, default_label):
            where = code.format()
            numbers[code.class_key].append(code.item_number)
            row_findings = (check_date_year(where, code.year, fields.date), check_page_count(where, fields.pages, None))
            findings.extend(finding for finding in row_findings if finding is not None)
        for state in context.classes.values():
            numbers[state.key].extend(state.existing)
    problems = [Finding(problem.kind, f"row {problem.row}", _problem_text(problem)) for problem in validation.problems]
    return (problems + findings + list(find_gaps(sorted(numbers.items()))))[:MAX_FINDINGS]


def _problem_text(problem) -> str:
    return f"column {problem.column}: {problem.message}" if problem.column else problem.message
