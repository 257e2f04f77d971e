"""The four checks of DA/T 70-2018 (四性检测) at archiving, as data, and the rules that need no I/O.

Each rule returns the findings it makes (none: the rule passed). A finding belongs to one of the four
checks; an item passes a check when no finding of that check was made, and passes when it passes all four.
The rules that read files or the audit history are run by `appliance.services.archival_checks`.
"""

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from appliance.domain.catalogue import Item, ItemFields
from appliance.domain.checks import check_date_year, check_page_count, missing_ranges
from appliance.domain.codes import ArchivalCode, parse_archival_code
from appliance.domain.errors import InvalidInputError
from appliance.domain.intake import PLACEHOLDER_TITLE

ALLOWED_PAGE_FORMATS = frozenset({"image/tiff", "image/png", "image/jpeg", "application/pdf"})
# The columns of the 2015 catalogue an archived item may not leave empty (档号 and 保管期限 live in the code).
REQUIRED_FIELDS = {"title": "题名 (title)", "responsible": "责任者 (responsible)", "date": "日期 (date)"}


class CheckName(enum.StrEnum):
    AUTHENTICITY = "authenticity"  # 真实性
    INTEGRITY = "integrity"  # 完整性
    USABILITY = "usability"  # 可用性
    SECURITY = "security"  # 安全性


class Rule(enum.StrEnum):
    """Every rule the checks apply; the value is what a report shows."""

    CATALOGUED = "catalogued"
    DIGESTS_MATCH = "digests-match"
    METADATA_VALID = "metadata-valid"
    CODE_WELL_FORMED = "code-well-formed"
    CODE_UNIQUE = "code-unique"
    PAGE_COUNT = "page-count"
    REQUIRED_FIELDS = "required-fields"
    NUMBERS_GAPLESS = "item-numbers-gapless"
    PAGES_OPEN = "pages-open"
    FORMAT_ALLOWED = "format-allowed"
    INTAKE_LOGGED = "intake-logged"
    NO_STRAY_FILES = "no-stray-files"


@dataclass(frozen=True)
class Finding:
    """One rule an item broke, in words an auditor can read."""

    check: CheckName
    rule: Rule
    message: str

    def __str__(self) -> str:
        return f"[{self.check}/{self.rule}] {self.message}"


@dataclass(frozen=True)
class ItemCheckReport:
    """The four checks' outcome for one item: it passes when no rule made a finding."""

    archival_code: str
    findings: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    def check_passed(self, check: CheckName) -> bool:
        return all(finding.check is not check for finding in self.findings)

    @property
    def verdicts(self) -> dict[CheckName, bool]:
        """Pass (True) or fail for each of the four checks, in the standard's order."""
        return {check: self.check_passed(check) for check in CheckName}

    def as_dict(self) -> dict:
        """The report as plain data, for the archiving request's audit event and for export."""
        return {
            "archival_code": self.archival_code,
            "passed": self.passed,
            "checks": {check.value: passed for check, passed in self.verdicts.items()},
            "findings": [{"check": f.check.value, "rule": f.rule.value, "message": f.message} for f in self.findings],
        }


def authenticity(rule: Rule, message: str) -> Finding:
    return Finding(CheckName.AUTHENTICITY, rule, message)


def integrity(rule: Rule, message: str) -> Finding:
    return Finding(CheckName.INTEGRITY, rule, message)


def usability(rule: Rule, message: str) -> Finding:
    return Finding(CheckName.USABILITY, rule, message)


def security(rule: Rule, message: str) -> Finding:
    return Finding(CheckName.SECURITY, rule, message)


def metadata_findings(item: Item) -> list[Finding]:
    """Authenticity: the stored fields pass the catalogue's own validation and 日期 lies in the code's year."""
    fields = item.fields
    if not fields.date or not fields.title.strip():
        return []  # an empty 日期 or 题名 is a missing required field (integrity), not an invalid one
    try:
        ItemFields.build(title=fields.title, date=fields.date, responsible=fields.responsible,
                         doc_number=fields.doc_number, access_label=fields.access_label, pages=fields.pages,
                         notes=fields.notes)
    except InvalidInputError as error:
        return [authenticity(Rule.METADATA_VALID, str(error))]
    wrong_year = check_date_year(item.archival_code, item.code.year, fields.date)
    return [authenticity(Rule.METADATA_VALID, wrong_year.message)] if wrong_year else []


def code_findings(requested: str, code: ArchivalCode, occurrences: int) -> list[Finding]:
    """Authenticity: the code as requested parses, is the code its parts make, and names one item only."""
    try:
        parsed = parse_archival_code(requested)
    except InvalidInputError as error:
        return [authenticity(Rule.CODE_WELL_FORMED, str(error))]
    findings = []
    if parsed != code:
        findings.append(authenticity(Rule.CODE_WELL_FORMED, f"{requested} does not match its parts ({code})"))
    if occurrences != 1:
        findings.append(authenticity(Rule.CODE_UNIQUE, f"{occurrences} items carry item number "
                                                       f"{code.item_number:04d} in class {code.class_key.label()}"))
    return findings


def required_field_findings(fields: ItemFields) -> list[Finding]:
    """Integrity: 题名, 责任者 and 日期 are filled in, and the title is not intake's placeholder."""
    missing = [label for name, label in REQUIRED_FIELDS.items() if not str(getattr(fields, name)).strip()]
    findings = [integrity(Rule.REQUIRED_FIELDS, f"{label} is empty") for label in missing]
    if fields.title == PLACEHOLDER_TITLE:
        findings.append(integrity(Rule.REQUIRED_FIELDS, f"题名 (title) is still the placeholder {PLACEHOLDER_TITLE}"))
    return findings


def page_count_findings(declared_pages: int, stored_pages: int) -> list[Finding]:
    """Integrity: 页数 equals the number of stored page files, and is not 0."""
    problem = check_page_count("", declared_pages, stored_pages)
    return [integrity(Rule.PAGE_COUNT, problem.message)] if problem else []


def gap_findings(code: ArchivalCode, numbers_present: Iterable[int]) -> list[Finding]:
    """Integrity: item numbers of the item's class run from 0001 without a gap up to the highest present.

    Every item of a class with a gap fails: the class, the unit the numbers count in, is incomplete.
    """
    runs = [f"{first:04d}" if first == last else f"{first:04d}–{last:04d}"
            for first, last in missing_ranges(list(numbers_present))]
    if not runs:
        return []
    return [integrity(Rule.NUMBERS_GAPLESS, f"class {code.class_key.label()} lacks item number(s) {', '.join(runs)}")]


def format_findings(media_types: Iterable[str]) -> list[Finding]:
    """Usability: each page is stored in a format allowed for archiving (TIFF, PNG, JPEG or PDF)."""
    return [usability(Rule.FORMAT_ALLOWED, f"page {number} is {media_type}, not an allowed format "
                                            f"({', '.join(sorted(ALLOWED_PAGE_FORMATS))})")
            for number, media_type in enumerate(media_types, start=1) if media_type not in ALLOWED_PAGE_FORMATS]


def logging_findings(creation_logged: bool, logged_pages: list[str], page_digests: list[str]) -> list[Finding]:
    """Security: the item's creation was logged, and its pages are exactly those its audit events added.

    `logged_pages` are the digests named by the item's creation and page-adding events, in event order.
    A stray file is a page of the item that no such event added (or added fewer times than it appears);
    a page an event added that the item no longer has, or pages out of the logged order, also fail.
    """
    findings = [] if creation_logged else [security(Rule.INTAKE_LOGGED, "no item.create event in the audit log")]
    if logged_pages == page_digests:
        return findings
    unlogged, removed = _multiset_difference(page_digests, logged_pages), _multiset_difference(logged_pages,
                                                                                                page_digests)
    findings += [security(Rule.NO_STRAY_FILES, f"page {digest[:12]}… was never logged as added") for digest in unlogged]
    findings += [security(Rule.NO_STRAY_FILES, f"logged page {digest[:12]}… is not among the item's pages")
                 for digest in removed]
    if not unlogged and not removed:
        findings.append(security(Rule.NO_STRAY_FILES, "the pages are not in the order the audit log added them"))
    return findings


def _multiset_difference(left: list[str], right: list[str]) -> list[str]:
    """The entries of `left` not matched one for one by entries of `right`, in `left`'s order."""
    remaining, extra = Counter(right), []
    for entry in left:
        if remaining[entry] > 0:
            remaining[entry] -= 1
        else:
            extra.append(entry)
    return extra
