"""Import a catalogue the archive already keeps (xlsx or csv, 2015 columns): all rows or none."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemState
from appliance.domain.catalogue_table import CellProblem, RowError, is_header_row, map_headers, parse_row
from appliance.domain.codes import ArchivalCode, ClassKey
from appliance.domain.errors import ImportRefusedError, InvalidInputError, NotFoundError, UnknownDepartmentError
from appliance.services.audit import record
from appliance.services.items import check_class
from appliance.services.links import queue_cited_by
from appliance.services.search import index_items_after

HEADER_SEARCH_ROWS = 20
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class ImportReport:
    items: int
    classes: int
    source_sha256: str
    first_code: str
    last_code: str
    departments_added: list[str] = field(default_factory=list)


@dataclass
class RowValidation:
    """What the rows seen so far tell: problems, how many rows passed, the first and last code."""

    problems: list[CellProblem] = field(default_factory=list)
    departments_added: list[str] = field(default_factory=list)
    count: int = 0
    first_code: ArchivalCode | None = None
    last_code: ArchivalCode | None = None

    def refuse(self, problem: CellProblem) -> None:
        self.problems.append(problem)


def import_catalogue(uow_factory, blob_store, actor: Actor, source: Path, rows: Iterable[tuple[int, list]],
                     state: ItemState = ItemState.ARCHIVED, default_label: AccessLabel = AccessLabel.INTERNAL,
                     add_departments: bool = False) -> ImportReport:
    """Validate every row and insert them in one transaction, or raise ImportRefusedError and change nothing.

    Rows stream into one bulk insert as they are validated; the first problem stops the inserts,
    the rest of the file is still checked so the refusal lists every problem found. Validation
    reads through a second, read-only unit of work: a connection busy with a bulk insert cannot
    answer queries. A code filed meanwhile by someone else still meets the unique index.
    """
    validation = RowValidation()
    with uow_factory() as uow, uow_factory(read_only=True) as lookup:
        context = ClassContext(lookup, add_departments, validation)
        checked = validated_rows(context, rows, validation, default_label)
        last_before = uow.search.last_item_id()
        uow.catalogue.add_items(_while_clean(checked, validation), state)
        if validation.problems:
            raise ImportRefusedError(validation.problems)
        if not validation.count:
            raise ImportRefusedError([CellProblem(0, "", f"{source.name} holds no catalogue rows")])
        _add_departments(uow, actor, context.new_departments)
        highest = context.highest_numbers()
        uow.catalogue.raise_counters(highest)
        report = _finish(uow, blob_store, actor, source, state, validation, highest)
        index_items_after(uow, last_before)  # in the same transaction: the import is found as soon as it is in
        queue_cited_by(uow, last_before, uow.search.last_item_id())
        uow.commit()
    return report


def _add_departments(uow, actor: Actor, departments: list[tuple[str, str]]) -> None:
    for fonds_code, department in departments:
        uow.catalogue.add_department(fonds_code, department, department)
        record(uow, actor, "department.create", "department", f"{fonds_code}/{department}",
               {"name": department, "by": "catalogue import"})


def _finish(uow, blob_store, actor: Actor, source: Path, state: ItemState, validation: RowValidation,
            highest: dict[ClassKey, int]) -> ImportReport:
    ref = blob_store.put_file(source)
    uow.blobs.add(ref)
    report = ImportReport(validation.count, len(highest), ref.sha256, validation.first_code.format(),
                          validation.last_code.format(), validation.departments_added)
    details = {
        "file": source.name,
        "sha256": ref.sha256,
        "sm3": ref.sm3,
        "items": report.items,
        "classes": report.classes,
        "first": report.first_code,
        "last": report.last_code,
        "state": state.value,
    }
    record(uow, actor, "catalogue.import", "fonds", ",".join(sorted({key.fonds for key in highest})), details)
    return report


def _while_clean(checked: Iterator, validation: RowValidation) -> Iterator[tuple[ArchivalCode, ItemFields]]:
    for row in checked:
        if not validation.problems:
            yield row


def validated_rows(context: "ClassContext", rows, validation: RowValidation,
                    default_label: AccessLabel) -> Iterator[tuple[ArchivalCode, ItemFields]]:
    positions = None
    for row_number, cells in rows:
        if len(validation.problems) >= MAX_PROBLEMS:
            return
        if positions is None:
            positions = _header_positions(row_number, cells, validation)
            continue
        if not any(cell not in (None, "") for cell in cells):
            continue
        try:
            code, fields = parse_row(cells, positions, row_number, default_label)
            context.claim(code, row_number)
        except RowError as error:
            validation.refuse(error.problem)
            continue
        validation.count += 1
        validation.last_code = code
        validation.first_code = validation.first_code or code
        yield code, fields
    if positions is None:
        validation.refuse(CellProblem(0, "", "no header row with 档号 found in the first rows"))


def _header_positions(row_number: int, cells: list, validation: RowValidation):
    if is_header_row(cells):
        try:
            return map_headers(cells, row_number)
        except InvalidInputError as error:
            validation.refuse(CellProblem(row_number, "", str(error).split(": ", 1)[-1]))
            raise ImportRefusedError(validation.problems) from None
    if row_number >= HEADER_SEARCH_ROWS:
        validation.refuse(CellProblem(row_number, "", "no header row with 档号 found in the first rows"))
        raise ImportRefusedError(validation.problems)
    return None


@dataclass
class ClassState:
    """One class seen in the file: the numbers already filed, and those the file claims (number → row)."""

    key: ClassKey
    existing: set[int]
    claimed: dict[int, int] = field(default_factory=dict)


class ClassContext:
    """Checks each class once against the database: fonds, scheme, category, department, numbers taken."""

    def __init__(self, lookup, add_departments: bool, validation: RowValidation):
        self.lookup, self.add_departments, self.validation = lookup, add_departments, validation
        self.classes: dict[tuple, ClassState] = {}
        self.new_departments: list[tuple[str, str]] = []

    def claim(self, code: ArchivalCode, row_number: int) -> None:
        """Take the code's number in its class; raises RowError for a duplicate or a class that is wrong."""
        state = self._state(code, row_number)
        number = code.item_number
        if number in state.claimed:
            message = f"duplicate archival code {code} (first seen in row {state.claimed[number]})"
            raise RowError(CellProblem(row_number, "档号", message, "duplicate"))
        if number in state.existing:
            message = f"archival code {code} is already in the catalogue"
            raise RowError(CellProblem(row_number, "档号", message, "duplicate"))
        state.claimed[number] = row_number

    def highest_numbers(self) -> dict[ClassKey, int]:
        return {state.key: max(state.claimed) for state in self.classes.values() if state.claimed}

    def _state(self, code: ArchivalCode, row_number: int) -> ClassState:
        # A plain tuple as the key: hashing it is much cheaper than hashing a ClassKey, per row.
        raw_key = (code.fonds, code.category, code.year, code.retention, code.department)
        state = self.classes.get(raw_key)
        if state is None:
            key = code.class_key
            try:
                self._check_class(key)
            except (InvalidInputError, NotFoundError) as error:
                raise RowError(CellProblem(row_number, "档号", str(error))) from None
            state = self.classes[raw_key] = ClassState(key, self.lookup.catalogue.existing_numbers(key))
        return state

    def _check_class(self, key: ClassKey) -> None:
        try:
            check_class(self.lookup, key)
        except UnknownDepartmentError as error:  # raised only once every other part of the class passed
            if (key.fonds, key.department) in self.new_departments:
                return
            if not self.add_departments:
                raise UnknownDepartmentError(f"{error} or import with --add-departments") from None
            self.new_departments.append((key.fonds, key.department))
            self.validation.departments_added.append(f"{key.fonds}/{key.department}")
