"""Cover sheet protocol v1: the ASCII payload a cover sheet carries as QR and Code 128.

`DA1:ITEM:<archival code>` files the pages that follow to a registered item; `DA1:BATCH:<class>` starts a
batch whose documents, split by `DA1:SEP`, become new items in that class with the next free numbers.
"""

import enum
import re
from dataclasses import dataclass

from appliance.domain.codes import ArchivalCode, ClassKey, check_code_parts, parse_archival_code
from appliance.domain.errors import InvalidInputError

VERSION = "DA1"
SEPARATOR_PAYLOAD = "DA1:SEP"
MAX_PAYLOAD_LENGTH = 120  # the longest valid payload is about 40 characters; anything long is not ours
_COVER_PREFIX = re.compile(r"DA\d+:")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


class CoverKind(enum.StrEnum):
    ITEM = "item"
    BATCH = "batch"
    SEPARATOR = "separator"


class InvalidPayloadError(InvalidInputError):
    """A cover sheet whose payload cannot be read as protocol v1; its pages go to the intake queue."""

    code = "invalid_cover_sheet"


@dataclass(frozen=True, slots=True)
class Cover:
    kind: CoverKind
    item_code: ArchivalCode | None = None
    batch_class: ClassKey | None = None


def is_cover_payload(text: str) -> bool:
    """Whether a barcode claims to be a cover sheet (any protocol version), as opposed to a barcode in a document."""
    return bool(_COVER_PREFIX.match(text))


def parse_payload(text: str) -> Cover:
    """Read a v1 payload; raises InvalidPayloadError saying why it cannot be filed."""
    if len(text) > MAX_PAYLOAD_LENGTH:
        raise InvalidPayloadError(f"cover sheet payload is {len(text)} characters long; v1 payloads are short")
    if not _PRINTABLE_ASCII.fullmatch(text):
        raise InvalidPayloadError("cover sheet payload holds characters outside printable ASCII")
    version, _, rest = text.partition(":")
    if version != VERSION:
        raise InvalidPayloadError(f"cover sheet protocol {version!r} is unknown (this box reads {VERSION})")
    if text == SEPARATOR_PAYLOAD:
        return Cover(CoverKind.SEPARATOR)
    kind, _, argument = rest.partition(":")
    try:
        if kind == "ITEM":
            return Cover(CoverKind.ITEM, item_code=parse_archival_code(argument))
        if kind == "BATCH":
            return Cover(CoverKind.BATCH, batch_class=parse_batch_class(argument))
    except InvalidPayloadError:
        raise
    except InvalidInputError as error:
        raise InvalidPayloadError(f"cover sheet {text!r}: {error}") from None
    raise InvalidPayloadError(f"cover sheet {text!r}: unknown kind {kind!r} (known: ITEM, BATCH, SEP)")


def parse_batch_class(text: str) -> ClassKey:
    """`Z109/WS/2011/D30/BGS` or, for a fonds without departments, `Z109/WS/2011/D30`."""
    parts = text.split("/")
    if len(parts) not in (4, 5) or not parts[2].isdigit():
        raise InvalidPayloadError(f"batch class {text!r} must read fonds/category/year/retention[/department]")
    fonds, category, year, retention = parts[:4]
    department = parts[4] if len(parts) == 5 else None
    key = ClassKey(fonds, category, int(year), retention, department)
    check_code_parts(key.code_for(1))
    return key


def item_payload(code: ArchivalCode) -> str:
    return f"{VERSION}:ITEM:{code.format('.')}"


def batch_payload(key: ClassKey) -> str:
    parts = [key.fonds, key.category, f"{key.year:04d}", key.retention]
    if key.department:
        parts.append(key.department)
    return f"{VERSION}:BATCH:{'/'.join(parts)}"


@dataclass(frozen=True)
class SheetText:
    """What a printed cover sheet says: its payload (as codes and in print), a heading and lines for people."""

    payload: str
    heading: str
    lines: tuple[str, ...]


def item_sheet(code: ArchivalCode, title: str, date: str, pages: int) -> SheetText:
    lines = [f"档号：{code.format()}", f"题名：{title}", f"年度：{code.year}", f"保管期限：{code.retention}"]
    if code.department:
        lines.append(f"机构（问题）：{code.department}")
    if date:
        lines.append(f"日期：{date}")
    if pages:
        lines.append(f"页数：{pages}")
    return SheetText(item_payload(code), "档案封面 · Item cover sheet", tuple(lines))


def batch_sheets(key: ClassKey, fonds_name: str, separators: int) -> list[SheetText]:
    """A batch sheet, then `separators` separator sheets (one to put before each further document)."""
    lines = [f"全宗：{key.fonds} {fonds_name}", f"门类：{key.category}", f"年度：{key.year}",
             f"保管期限：{key.retention}"]
    if key.department:
        lines.append(f"机构（问题）：{key.department}")
    lines.append("每份文件成为本类下一件，件号自动顺延 · each document becomes the next item")
    batch = SheetText(batch_payload(key), "批量扫描封面 · Batch sheet", tuple(lines))
    separator = SheetText(SEPARATOR_PAYLOAD, "文件分隔页 · Separator",
                          (f"批次：{key.label()}", "放在每份文件之前 · put before each document"))
    return [batch] + [separator] * separators
