"""What the header and closing of a Chinese official document (公文) say about how to file it.

GB/T 9704 lays a 公文 out as: the issuing organ's mark (`…文件`), the 文号 (`X办发〔2019〕12号`) on a line of its
own, the title (`关于…的通知`), the body, then the signature and the 成文日期 (`2019年3月15日`, often written
`二〇一九年三月十五日`). OCR text of the first and last pages is read line by line; a field whose pattern is not found
where the layout puts it gets no suggestion, because a wrong suggestion costs a person more than none.
"""

import datetime
import re
from dataclasses import dataclass

HEADER_LINES = 25  # the 文号 and title sit above the body: a 文号 cited further down is some other document's
DOCUMENT_TYPES = ("通知", "批复", "请示", "报告", "函", "决定", "意见", "通报", "纪要", "办法", "规定", "方案",
                  "公告", "通告", "规划", "计划", "总结", "命令", "议案")
ORGAN_ENDINGS = ("政府", "办公室", "办公厅", "委员会", "局", "厅", "部", "处", "科", "室", "院", "所", "会", "中心",
                 "公司", "集团", "银行", "学校", "大学", "学院", "委", "办", "站", "队", "馆", "府")
OPENING_BRACKETS = "〔[(（【［"
CLOSING_BRACKETS = "〕])）】］"
_DOC_NUMBER = re.compile(
    rf"(?P<prefix>[\u4e00-\u9fffA-Za-z]{{1,12}})\s*[{re.escape(OPENING_BRACKETS)}]\s*(?P<year>[0-9]{{4}})\s*"
    rf"[{re.escape(CLOSING_BRACKETS)}]\s*(?P<number>[0-9]{{1,5}})\s*号")
_ARABIC_DATE = re.compile(r"(?P<year>[0-9]{4})\s*年\s*(?P<month>[0-9]{1,2})\s*月\s*(?P<day>[0-9]{1,2})\s*日")
_CHINESE_DIGITS = "〇一二三四五六七八九"
_ZERO_FORMS = "〇零○ОO0"
_CHINESE_DATE = re.compile(rf"(?P<year>[{_CHINESE_DIGITS}{_ZERO_FORMS}]{{4}})\s*年\s*"
                           rf"(?P<month>[一二三四五六七八九十]{{1,2}})\s*月\s*(?P<day>[一二三四五六七八九十]{{1,3}})\s*日")
_SIDE_NOTE = re.compile(r"^(签发人|签发|签 发 人|紧急程度|特急|加急|特提|平急|密级|份号)")
_PUNCTUATION = re.compile(r"[，。；：、！？,.;:!?《》“”\"]")
MAX_TITLE = 120
MAX_ORGAN = 40


@dataclass(frozen=True)
class PatternSuggestion:
    """One value read from the layout of the document, with how sure the reading is (0 to 1)."""

    field: str  # doc_number, date, title, responsible
    value: str
    score: float


def header_suggestions(text: str) -> list[PatternSuggestion]:
    """Every field the layout gives away, at most one value each, in the order doc_number, date, title,
    responsible."""
    lines = document_lines(text)
    found = [("doc_number", find_doc_number(lines), 0.95), ("date", find_document_date(lines), 0.9),
             ("title", find_title(lines), 0.85), ("responsible", find_responsible(lines), 0.8)]
    return [PatternSuggestion(field, value, score) for field, value, score in found if value]


def document_lines(text: str) -> list[str]:
    """The non-empty lines, with the spaces OCR puts between Chinese characters taken out."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", raw.strip())
        if line:
            lines.append(line)
    return lines


def normalise_doc_number(text: str) -> str | None:
    """`Z办发[2019]12号`, `Z办发（2019）12号` ... as `Z办发〔2019〕12号`; None when the text is not one 文号."""
    match = _DOC_NUMBER.fullmatch(text.strip())
    return None if match is None else _format_doc_number(match)


def _format_doc_number(match: re.Match) -> str | None:
    year = int(match["year"])
    if not 1949 <= year <= 2100 or int(match["number"]) == 0:
        return None
    return f"{match['prefix']}〔{year}〕{int(match['number'])}号"


def find_doc_number(lines: list[str]) -> str | None:
    """The 文号 standing on a line of its own in the header (a side note such as 签发人 may share the line)."""
    for line in lines[:HEADER_LINES]:
        for match in _DOC_NUMBER.finditer(line):
            rest = (line[:match.start()] + line[match.end():]).strip()
            if not rest or _SIDE_NOTE.match(rest) or _SIDE_NOTE.match(line):
                return _format_doc_number(match)
    return None


def parse_chinese_date(text: str) -> str | None:
    """`2019年3月15日` or `二〇一九年三月十五日` as `20190315`; None unless the whole text is one real day."""
    text = text.strip()
    match = _ARABIC_DATE.fullmatch(text)
    if match:
        return _calendar_day(int(match["year"]), int(match["month"]), int(match["day"]))
    match = _CHINESE_DATE.fullmatch(text)
    if match:
        year = int("".join(_digit(character) for character in match["year"]))
        month, day = _small_number(match["month"]), _small_number(match["day"])
        if month is not None and day is not None:
            return _calendar_day(year, month, day)
    return None


def _digit(character: str) -> str:
    return "0" if character in _ZERO_FORMS else str(_CHINESE_DIGITS.index(character))


def _small_number(text: str) -> int | None:
    """一 … 三十一 as 1 … 31; None for a form that is no number (十十, 二二)."""
    units = {character: value for value, character in enumerate(_CHINESE_DIGITS) if value}
    if text in units:
        return units[text]
    tens, ten, ones = text.partition("十")
    if not ten or len(tens) > 1 or len(ones) > 1 or (tens and tens not in units) or (ones and ones not in units):
        return None
    return (units[tens] if tens else 1) * 10 + (units[ones] if ones else 0)


def _calendar_day(year: int, month: int, day: int) -> str | None:
    try:
        day_value = datetime.date(year, month, day)
    except ValueError:
        return None
    return day_value.strftime("%Y%m%d") if 1949 <= year <= 2100 else None


def find_document_date(lines: list[str]) -> str | None:
    """The 成文日期: the last line that is a date and nothing else (it closes the document, under the signature)."""
    for line in reversed(lines):
        value = parse_chinese_date(line.strip("（）() "))
        if value:
            return value
    return None


def find_title(lines: list[str]) -> str | None:
    """`关于…的通知` (or another document type) on one line or wrapped over up to three, in the header."""
    for index, line in enumerate(lines[:HEADER_LINES]):
        position = line.find("关于")
        if position < 0 or position > MAX_ORGAN:
            continue
        title = line
        for extra in lines[index + 1:index + 3]:
            if _ends_with_type(title):
                break
            title += extra
        if _ends_with_type(title) and len(title) <= MAX_TITLE and not _starts_like_body(title):
            return title
    return None


def _ends_with_type(text: str) -> bool:
    return text.endswith(DOCUMENT_TYPES) and "的" in text or text.endswith(("请示", "批复", "报告"))


def _starts_like_body(text: str) -> bool:
    return _PUNCTUATION.search(text[:2]) is not None or "，" in text or "。" in text


def find_responsible(lines: list[str]) -> str | None:
    """The issuing organ: the header's `…文件` line, else the signature line above the 成文日期, else the organ
    that the title names before 关于."""
    for line in lines[:6]:
        organ = line[:-2].strip() if line.endswith("文件") else ""
        if _looks_like_organ(organ):
            return organ
    signature = _signature(lines)
    if signature:
        return signature
    title = find_title(lines) or ""
    organ = title[:title.find("关于")] if "关于" in title else ""
    return organ if _looks_like_organ(organ) else None


def _signature(lines: list[str]) -> str | None:
    for index in range(len(lines) - 1, 0, -1):
        if parse_chinese_date(lines[index].strip("（）() ")):
            candidate = lines[index - 1].strip()
            return candidate if _looks_like_organ(candidate) else None
    return None


def _looks_like_organ(text: str) -> bool:
    return (2 <= len(text) <= MAX_ORGAN and text.endswith(ORGAN_ENDINGS) and not _PUNCTUATION.search(text)
            and not any(character.isdigit() for character in text))


# What the assistance stores: plain values the repositories return and the services and views pass on.

FIELDS = ("department", "retention", "title", "doc_number", "date", "responsible")
OUTCOMES = ("accepted", "changed", "ignored")


@dataclass(frozen=True)
class ItemKeyword:
    """A keyword of an item: offered from its text (suggested) or added by hand, and what a person decided."""

    keyword: str
    weight: float
    origin: str  # text, manual
    state: str  # suggested, accepted, dismissed
    decided_by: str | None = None
    decided_at: datetime.datetime | None = None


@dataclass(frozen=True)
class FilingSuggestion:
    """One value offered for one field of a filing, ranked within the field."""

    field: str
    value: str
    rank: int
    score: float
    source: str  # model, header
    model_id: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    """A trained filing model as recorded: the file is `<models>/<sha256>.joblib`."""

    id: int
    trained_at: datetime.datetime
    trained_items: int
    archived_watermark: int
    metrics: dict
    file_sha256: str


@dataclass(frozen=True)
class FieldAcceptance:
    """How the suggestions for one field fared: per filed document, accepted when one offered value was filed."""

    field: str
    offered: int
    accepted: int
    changed: int
    ignored: int

    @property
    def rate(self) -> float | None:
        return None if not self.offered else self.accepted / self.offered


@dataclass(frozen=True)
class TrainingExample:
    """An archived item as the filing model learns from it: its title and text, and where it was filed."""

    text: str
    department: str  # "" for a fonds without departments: not learned for that field
    retention: str
