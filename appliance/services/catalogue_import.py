"""Import a catalogue the archive already keeps (xlsx or csv, 2015 columns): all rows or none."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemState, check_class_fits_scheme
from appliance.domain.catalogue_table import CellProblem, RowError, is_header_row, map_headers, parse_row
from appliance.domain.codes import ArchivalCode, ClassKey
from appliance.domain.errors import ImportRefusedError, InvalidInputError
from appliance.services.audit import record

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
    """What the rows seen so far tell: problems, codes, and the numbers taken per class."""

    problems: list[CellProblem] = field(default_factory=list)
    highest: dict[ClassKey, int] = field(default_factory=dict)
    taken: dict[ClassKey, set[int]] = field(default_factory=dict)
    first_row: dict[str, int] = field(default_factory=dict)
    departments_added: list[str] = field(default_factory=list)
    count: int = 0
    first_code: str = ""
    last_code: str = ""

    def refuse(self, problem: CellProblem) -> None:
        self.problems.append(problem)


def import_catalogue(uow_factory, blob_store, actor: Actor, source: Path, rows: Iterable[tuple[int, list]],
                     state: ItemState = ItemState.ARCHIVED, default_label: AccessLabel = AccessLabel.INTERNAL,
                     add_departments: bool = False) -> ImportReport:
    """Validate every row and insert them in one transaction, or raise ImportRefusedError and change nothing.

    Rows are inserted as they are validated, inside the one transaction; the first problem stops
    the inserts, the rest of the file is still checked so the refusal lists every problem found.
    """
    validation = RowValidation()
    with uow_factory() as uow:
        context = ClassContext(uow, actor, add_departments, validation)
        checked = validated_rows(context, rows, validation, default_label)
        uow.catalogue.add_items(_while_clean(checked, validation), state)
        if validation.problems:
            raise ImportRefusedError(validation.problems)
        if not validation.count:
            raise ImportRefusedError([CellProblem(0, "", f"{source.name} holds no catalogue rows")])
        uow.catalogue.raise_counters(validation.highest)
        report = _finish(uow, blob_store, actor, source, state, validation)
        uow.commit()
    return report


def _finish(uow, blob_store, actor: Actor, source: Path, state: ItemState, validation: RowValidation) -> ImportReport:
    ref = blob_store.put_file(source)
    uow.blobs.add(ref)
    report = ImportReport(validation.count, len(validation.highest), ref.sha256, validation.first_code,
                          validation.last_code, validation.departments_added)
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
    record(uow, actor, "catalogue.import", "fonds", ",".join(sorted({k.fonds for k in validation.highest})), details)
    return report


def _while_clean(checked: Iterator, validation: RowValidation) -> Iterator[tuple[ArchivalCode, ItemFields]]:
    for code, fields in checked:
        if not validation.problems:
            yield code, fields


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
            _check_code(context, validation, code, row_number)
        except RowError as error:
            validation.refuse(error.problem)
            continue
        validation.count += 1
        validation.last_code = code.format()
        validation.first_code = validation.first_code or validation.last_code
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


def _check_code(context: "ClassContext", validation: RowValidation, code: ArchivalCode, row_number: int) -> None:
    text = code.format()
    if text in validation.first_row:
        message = f"duplicate archival code {text} (first seen in row {validation.first_row[text]})"
        raise RowError(CellProblem(row_number, "档号", message, "duplicate"))
    key = code.class_key
    taken = context.numbers_taken(key, row_number)
    if code.item_number in taken:
        message = f"archival code {text} is already in the catalogue"
        raise RowError(CellProblem(row_number, "档号", message, "duplicate"))
    validation.first_row[text] = row_number
    validation.highest[key] = max(validation.highest.get(key, 0), code.item_number)


class ClassContext:
    """Checks each class once against the database: fonds, scheme, category, department, numbers taken."""

    def __init__(self, uow, actor: Actor, add_departments: bool, validation: RowValidation):
        self.uow, self.actor, self.add_departments, self.validation = uow, actor, add_departments, validation
        self.known: dict[ClassKey, set[int]] = {}
        self.fonds: dict[str, object] = {}
        self.categories = set(uow.catalogue.categories())

    def numbers_taken(self, key: ClassKey, row_number: int) -> set[int]:
        if key not in self.known:
            try:
                self._check_class(key)
            except InvalidInputError as error:
                raise RowError(CellProblem(row_number, "档号", str(error))) from None
            self.known[key] = self.uow.catalogue.existing_numbers(key)
        return self.known[key]

    def _check_class(self, key: ClassKey) -> None:
        fonds = self._fonds(key.fonds)
        check_class_fits_scheme(key, fonds.scheme)
        if key.category not in self.categories:
            raise InvalidInputError(f"unknown category {key.category}; add it with `dangan category add`")
        if key.department and key.department not in self.uow.catalogue.departments(key.fonds):
            self._missing_department(key)

    def _fonds(self, code: str):
        if code not in self.fonds:
            fonds = self.uow.catalogue.get_fonds(code)
            if fonds is None:
                raise InvalidInputError(f"unknown fonds {code}; register it first with `dangan fonds add`")
            self.fonds[code] = fonds
        return self.fonds[code]

    def _missing_department(self, key: ClassKey) -> None:
        if not self.add_departments:
            raise InvalidInputError(
                f"unknown department {key.department} in fonds {key.fonds}; add it with `dangan department add` "
                "or import with --add-departments"
            )
        self.uow.catalogue.add_department(key.fonds, key.department, key.department)
        name = f"{key.fonds}/{key.department}"
        self.validation.departments_added.append(name)
        record(self.uow, self.actor, "department.create", "department", name,
               {"name": key.department, "by": "catalogue import"})
