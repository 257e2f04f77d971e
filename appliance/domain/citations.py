"""Related records: the 文号 one document cites, how it cites them, and the links and graph between items.

A 文号 is 机关代字〔年份〕序号号, e.g. `Z办发〔2019〕12号`. People and OCR write the brackets as 〔〕 [] () ［］ （）
or 【】, digits full-width, and OCR puts spaces between characters; so a text is read as NFKC with all white space
taken out. Where the 机关代字 starts is not marked in running text (`根据国办发〔2018〕5号`), so a citation offers
every tail of the characters before the bracket, and the longest tail that is some item's 文号 wins.
"""

import datetime
import enum
import re
import unicodedata
from dataclasses import dataclass

MAX_PREFIX = 12  # 机关代字 are short ("国办发", "Z人社发"); more is the sentence before it
MIN_PREFIX = 2
CONTEXT = 80  # characters of the same sentence read on each side for the wording that gives the relation
HEADER_LINES = 10  # an official document's own 文号 stands on a line of its own above the title

_OPEN, _CLOSE = "〔[(【", "〕])】"  # after NFKC: ［ → [, （ → (
_DOC_NUMBER = re.compile(rf"(?P<prefix>[A-Za-z\u3400-\u9fff]{{1,{MAX_PREFIX}}})"
                         rf"(?P<tail>[{re.escape(_OPEN)}](?P<year>(?:19|20)\d\d)[{re.escape(_CLOSE)}]"
                         rf"第?(?P<number>\d{{1,5}})号)")
_SENTENCE_END = re.compile(r"[。！？；!?;]")
_BOOK_TITLE = re.compile(r"《[^《》]*》")
_SIGNER = re.compile(r"签发人[:：]?\S{0,10}$")
SPELLINGS = (("〔", "〕"), ("[", "]"), ("(", ")"), ("［", "］"), ("（", "）"), ("【", "】"))
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


class Relation(enum.StrEnum):
    CITES = "cites"
    REPLIES = "replies"  # 对…的请示收悉 / 你单位…号文收悉
    FORWARDS = "forwards"  # 转发
    IMPLEMENTS = "implements"  # 根据 / 依据 / 按照 / 贯彻
    RELATED = "related"  # only by hand, and read both ways


class LinkOrigin(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


STRENGTH = {Relation.REPLIES: 4, Relation.FORWARDS: 3, Relation.IMPLEMENTS: 2, Relation.CITES: 1}
_BEFORE = {Relation.IMPLEMENTS: ("根据", "依据", "按照", "遵照", "贯彻", "落实", "依照"), Relation.FORWARDS: ("转发",)}
_AFTER = {Relation.REPLIES: ("收悉",), Relation.FORWARDS: ("转发",)}


def compact(text: str) -> str:
    """NFKC (full-width digits and brackets to ASCII) with every white space taken out, as citations are read."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass(frozen=True)
class DocNumber:
    """A 文号 reduced to what identifies it: the 机关代字 (Latin letters upper-cased), the year and the number."""

    prefix: str
    year: int
    number: int

    def canonical(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.number}号"

    def spellings(self) -> list[str]:
        """The ways people type this 文号 into the catalogue: each bracket pair, ASCII or full-width digits, Latin
        letters in either case."""
        digits = f"{self.year}", f"{self.number}"
        wide = tuple(part.translate(_FULL_WIDTH_DIGITS) for part in digits)
        prefixes = dict.fromkeys((self.prefix, self.prefix.lower()))
        return [f"{prefix}{opening}{year}{closing}{number}号" for prefix in prefixes
                for opening, closing in SPELLINGS for year, number in (digits, wide)]


def parse_doc_number(text: str) -> DocNumber | None:
    """The 文号 a catalogue field holds, or None when the field is not one (empty, or some other numbering)."""
    match = _DOC_NUMBER.fullmatch(compact(text))
    return None if match is None else _doc_number(match["prefix"], match)


def _doc_number(prefix: str, match: re.Match) -> DocNumber:
    return DocNumber(prefix.upper(), int(match["year"]), int(match["number"]))


@dataclass(frozen=True)
class Citation:
    """A 文号 found in a text: the characters before its bracket, the rest as written, and how it is cited."""

    prefix_run: str
    tail: str
    year: int
    number: int
    relation: Relation

    def candidates(self) -> list[tuple[DocNumber, str]]:
        """Each reading of the 文号 with the text it was read from, the longest 机关代字 first."""
        readings = []
        for length in range(len(self.prefix_run), MIN_PREFIX - 1, -1):
            prefix = self.prefix_run[-length:]
            readings.append((DocNumber(prefix.upper(), self.year, self.number), prefix + self.tail))
        return readings


def find_citations(text: str, own_doc_number: str = "") -> list[Citation]:
    """The 文号 a text cites, in order; its own 文号 (the catalogue's, or the one alone on a line of its header) is
    not a citation."""
    own = {number.canonical() for number in (parse_doc_number(own_doc_number), *_header_numbers(text)) if number}
    body = compact(text)
    masked = _BOOK_TITLE.sub(lambda title: "《" + "_" * (len(title.group()) - 2) + "》", body)
    citations = []
    for match in _DOC_NUMBER.finditer(body):
        citation = Citation(match["prefix"], match["tail"], int(match["year"]), int(match["number"]),
                            relation_at(masked, match.start("tail"), match.end()))
        if not any(number.canonical() in own for number, _ in citation.candidates()):
            citations.append(citation)
    return citations


def _header_numbers(text: str) -> list[DocNumber]:
    """文号 that stand alone (perhaps with 签发人) on one of the first lines: the document's own."""
    lines = [line for line in (text or "").splitlines() if line.strip()][:HEADER_LINES]
    numbers = []
    for line in map(compact, lines):
        match = _DOC_NUMBER.match(line)
        if match is not None and not _SIGNER.sub("", line[match.end():]).strip("，,、:："):
            numbers.append(_doc_number(match["prefix"], match))
    return numbers


def relation_at(text: str, start: int, end: int) -> Relation:
    """How the citation at text[start:end] is made: the nearest telling word in its sentence decides."""
    sentence_start = max([0, start - CONTEXT] + [found.end() for found in _SENTENCE_END.finditer(text, 0, start)])
    following = _SENTENCE_END.search(text, end)
    sentence_end = min(end + CONTEXT, following.start() if following else len(text))
    before, after = text[sentence_start:start], text[end:sentence_end]
    # (distance, stronger first, relation): a telling word nearer the citation speaks for it
    found = [(len(before) - position - len(word), -STRENGTH[relation], relation)
             for relation, words in _BEFORE.items() for word in words if (position := before.rfind(word)) >= 0]
    found += [(position, -STRENGTH[relation], relation)
              for relation, words in _AFTER.items() for word in words if (position := after.find(word)) >= 0]
    return min(found)[2] if found else Relation.CITES


def lookup_spellings(citations: list[Citation]) -> list[str]:
    """Every catalogue spelling any reading of these citations may have: what to look items up by."""
    spellings = dict.fromkeys(spelling for citation in citations for number, _ in citation.candidates()
                              for spelling in number.spellings())
    return list(spellings)


def choose_targets(citations: list[Citation], found: list[tuple[int, str]], own_item_id: int) -> dict:
    """{item id: (relation, evidence)} for the items the citations name, given (id, 文号) of the items found by the
    spellings; the longest reading that names an item wins, and a target cited several ways keeps the strongest."""
    by_number: dict[str, list[int]] = {}
    for item_id, doc_number in found:
        number = parse_doc_number(doc_number)
        if number is not None and item_id != own_item_id:
            by_number.setdefault(number.canonical(), []).append(item_id)
    targets: dict[int, tuple[Relation, str]] = {}
    for citation in citations:
        reading = next(((number, evidence) for number, evidence in citation.candidates()
                        if number.canonical() in by_number), None)
        if reading is None:
            continue
        for item_id in by_number[reading[0].canonical()]:
            known = targets.get(item_id)
            if known is None or STRENGTH[citation.relation] > STRENGTH[known[0]]:
                targets[item_id] = (citation.relation, reading[1])
    return targets


# links and the graph around an item, as the services return them


@dataclass(frozen=True)
class LinkedItem:
    """The item at the other end of a link, as far as the catalogue tells whoever may see it."""

    id: int
    archival_code: str
    title: str
    doc_number: str
    date: str


@dataclass(frozen=True)
class ItemLink:
    id: int
    source_id: int
    target_id: int
    relation: Relation
    origin: LinkOrigin
    evidence: str
    created_by: str | None
    created_at: datetime.datetime


@dataclass(frozen=True)
class RelatedRecord:
    """A link seen from one item: `outgoing` when that item is the link's source."""

    link: ItemLink
    other: LinkedItem
    outgoing: bool

    @property
    def group(self) -> str:
        """The heading it is listed under: the relation, and for directed relations which way it points."""
        if self.link.relation is Relation.RELATED:
            return Relation.RELATED.value
        return f"{self.link.relation.value}:{'out' if self.outgoing else 'in'}"


@dataclass(frozen=True)
class GraphNode:
    item: LinkedItem
    depth: int  # 0 the item in the middle, 1 its neighbours, 2 theirs


@dataclass(frozen=True)
class GraphEdge:
    source_id: int
    target_id: int
    relation: Relation


@dataclass(frozen=True)
class LinkGraph:
    center_id: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
