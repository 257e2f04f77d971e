"""Search text: Chinese-aware tokens for the full-text index, queries built from them, and the matches marked.

Chinese has no spaces, so a run of CJK characters is indexed as its overlapping bigrams plus its last character:
every character starts some token, so any substring of two or more characters is a phrase of bigrams, and one
character is a prefix of a token. Letters and digits form words. The index sees the tokens joined by spaces, so
SQLite's unicode61 tokenizer and PostgreSQL's tsvector keep each as one word, and both databases agree.
"""

import enum
import functools
import operator
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Ideographs (with extensions and compatibility forms), kana and hangul: scripts written without spaces.
CJK_CHARACTERS = "\u3005\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"(?P<cjk>[{CJK_CHARACTERS}]+)|(?P<word>[^\W_{CJK_CHARACTERS}]+)")
_WORD_CHARACTER = rf"[^\W_{CJK_CHARACTERS}]"
_SEPARATORS = r"[\W_]*?"
_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
MAX_WORD = 64  # longer "words" are OCR noise or digests; PostgreSQL refuses lexemes over 2 KB anyway
MAX_TERMS = 16


def normalise(text: str) -> str:
    """Full-width forms to half-width (NFKC) and case folded, as both the index and the queries see text."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Run:
    text: str
    cjk: bool


def runs(text: str) -> list[Run]:
    """The runs of CJK characters and of letters/digits in normalised text; everything else separates."""
    return [Run(match.group(), match.lastgroup == "cjk") for match in _RUN.finditer(normalise(text))]


def run_tokens(run: Run) -> list[str]:
    if not run.cjk:
        return [run.text[:MAX_WORD]]
    characters = run.text
    return [characters[index:index + 2] for index in range(len(characters) - 1)] + [characters[-1]]


def tokens(text: str) -> list[str]:
    """The tokens of a text, in order."""
    return [token for run in runs(text) for token in run_tokens(run)]


def index_text(*texts: str) -> str:
    """What the index stores for some texts: their tokens joined by spaces (the same as `tokens` gives, made
    without a Run per run: this is most of the time indexing takes)."""
    found: list[str] = []
    for text in texts:
        for match in _RUN.finditer(normalise(text)):
            run = match.group()
            if match.lastgroup == "cjk":
                found.extend(map(operator.add, run, run[1:]))
                found.append(run[-1])
            else:
                found.append(run[:MAX_WORD])
    return " ".join(found)


@dataclass(frozen=True)
class Phrase:
    """One query term: tokens that must follow each other, the last perhaps only a prefix."""

    tokens: tuple[str, ...]
    prefix: bool
    runs: tuple[Run, ...]  # what the term said, to find it again in the original text

    def fts5(self) -> str:
        """The phrase in FTS5 syntax; each token quoted, so nothing in it is read as an operator."""
        quoted = [_fts5_string(token) for token in self.tokens]
        if self.prefix:
            quoted[-1] += " *"
        return " + ".join(quoted)

    def tsquery(self, pairs: bool = False) -> str:
        """The phrase as a PostgreSQL tsquery literal: lexemes quoted, `<->` between them (`&` with `pairs`), `:*`
        for a prefix."""
        quoted = [_tsquery_lexeme(token) for token in self.tokens]
        if self.prefix:
            quoted[-1] += ":*"
        return (" & " if pairs else " <-> ").join(quoted)

    def pattern(self) -> str:
        """A regular expression for the term in normalised text: its runs, with any separators between them."""
        parts = [re.escape(run.text) for run in self.runs]
        pattern = _SEPARATORS.join(parts)
        if not self.runs[0].cjk:
            pattern = f"(?<!{_WORD_CHARACTER}){pattern}"
        if not self.runs[-1].cjk and not self.prefix:
            pattern = f"{pattern}(?!{_WORD_CHARACTER})"
        return pattern


@dataclass(frozen=True)
class SearchQuery:
    """What someone typed, as phrases that must all match; no phrases means no text condition at all."""

    phrases: tuple[Phrase, ...]

    @property
    def empty(self) -> bool:
        return not self.phrases

    def fts5(self) -> str:
        return " AND ".join(f"({phrase.fts5()})" for phrase in self.phrases)

    def fts5_narrowed(self, facet_tokens: list[str], fields_only: bool) -> str:
        """The query in FTS5 syntax, its words in the fields only when asked, and every facet token required."""
        words = f"{{fields}} : ({self.fts5()})" if fields_only else f"({self.fts5()})"
        return " AND ".join([words, *(_fts5_string(token) for token in facet_tokens)])

    def tsqueries(self) -> list[str]:
        return [phrase.tsquery() for phrase in self.phrases]

    def tsquery(self, facet_tokens: list[str] = (), pairs: bool = False) -> str:
        """Every phrase and facet token required, as one PostgreSQL tsquery literal; with `pairs`, each phrase's
        tokens are only required together, not in order (which a GIN index answers without reading any vector)."""
        phrases = [phrase.tsquery(pairs) for phrase in self.phrases]
        return " & ".join([*(f"({phrase})" for phrase in phrases), *map(_tsquery_lexeme, facet_tokens)])

    @property
    def ordered(self) -> bool:
        """Whether some phrase has several tokens, whose order only the text itself can confirm."""
        return any(len(phrase.tokens) > 1 for phrase in self.phrases)


def parse_query(text: str) -> SearchQuery:
    """Terms separated by spaces, all required; "double-quoted text" is one term. Never raises: punctuation,
    quotes and operators of either database only separate tokens."""
    phrases = []
    for match in _TERM.finditer(text or ""):
        phrase = phrase_for(match.group(1) if match.group(1) is not None else match.group(2))
        if phrase is not None and phrase not in phrases:
            phrases.append(phrase)
    return SearchQuery(tuple(phrases[:MAX_TERMS]))


def phrase_for(term: str) -> Phrase | None:
    """The phrase of one term, or None when it has no letters, digits or CJK characters.

    A CJK run at the end gives only its bigrams, since the document may go on after it; a single character
    there becomes a prefix, which every token starting with it matches.
    """
    term_runs = runs(term)
    if not term_runs:
        return None
    *leading, last = term_runs
    phrase_tokens = [token for run in leading for token in run_tokens(run)]
    if not last.cjk:
        return Phrase((*phrase_tokens, last.text[:MAX_WORD]), False, tuple(term_runs))
    if len(last.text) == 1:
        return Phrase((*phrase_tokens, last.text), True, tuple(term_runs))
    bigrams = run_tokens(last)[:-1]
    return Phrase((*phrase_tokens, *bigrams), False, tuple(term_runs))


def _fts5_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _tsquery_lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


# what a search is narrowed by, and what it finds


class SearchSort(enum.StrEnum):
    RELEVANCE = "relevance"  # every term in the title, 文号 or other fields first, then in the pages; newest first
    DATE = "date"  # newest first


FACETS = ("fonds", "year", "retention", "department", "access_label", "state")


@dataclass(frozen=True)
class SearchFilter:
    """Conditions on the catalogue entry; None leaves a field open. Dates are YYYYMMDD, both ends included."""

    fonds: str | None = None
    year: int | None = None
    retention: str | None = None
    department: str | None = None
    access_label: str | None = None
    state: str | None = None
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class MatchedItem:
    """A catalogue entry the search found, as the index's reader returns it."""

    id: int
    archival_code: str
    title: str
    date: str
    state: str
    access_label: str


@dataclass(frozen=True)
class Found:
    """A page of matches with the counts per facet value of all of them; `exact` False: the counts are upper
    bounds (see SearchResults)."""

    page: list[MatchedItem]
    facets: dict[str, dict]
    exact: bool


# A private-use character starts the facet tokens: the index's tokenizer keeps it, and no query can type it (it is
# not a letter, digit or CJK character), so a search for "y2019" never meets the year facet.
FACET_MARK = "\ue000"
_FACET_LETTERS = {"fonds": "f", "year": "y", "retention": "r", "department": "d", "access_label": "l", "state": "s"}


def facet_token(facet: str, value: object) -> str:
    """The index token that says an item has this value of a facet."""
    return f"{FACET_MARK}{_FACET_LETTERS[facet]}{str(value).casefold()}"


def filter_tokens(search_filter: "SearchFilter") -> list[str]:
    """The facet tokens every item that passes the filter's equality conditions has (dates stay conditions)."""
    return [facet_token(facet, value) for facet in FACETS if (value := getattr(search_filter, facet)) is not None]


@dataclass(frozen=True)
class IndexSource:
    """What an item's index entry is made of: its catalogue fields, its facet values (in FACETS order), the OCR
    text of its pages, its tags and its date."""

    title: str
    doc_number: str
    responsible: str
    notes: str
    archival_code: str
    facet_values: tuple
    page_texts: tuple[str, ...]
    tags: tuple[str, ...] = ()  # the keywords a person accepted as the item's tags (主题词)
    date: str = ""  # YYYYMMDD: PostgreSQL's index keeps it to sort and narrow by

    @property
    def state(self) -> str:
        return self.facet_values[FACETS.index("state")]

    def fields_text(self) -> str:
        """The fields' tokens, then the facet tokens: the index narrows by facets as it matches words."""
        words = index_text(self.title, self.doc_number, self.responsible, self.notes, self.archival_code, *self.tags)
        facets = " ".join(facet_token(facet, value) for facet, value in zip(FACETS, self.facet_values, strict=True))
        return f"{words} {facets}" if words else facets

    def body_text(self) -> str:
        return index_text(*self.page_texts)


# marking the matches in the original text


Segment = tuple[str, bool]  # a piece of text, and whether it matched


def marked(text: str, query: SearchQuery, window: int | None = None) -> list[Segment]:
    """`text` cut into pieces, the characters that match a query term marked; with `window`, only about that many
    characters around the first match (the start of the text when nothing matches), '…' where it was cut."""
    spans = match_spans(text, query)
    if window is not None:
        start = max(0, spans[0][0] - window // 4) if spans else 0
        end = min(len(text), start + window)
        segments = _segments(text, spans, start, end)
        return [("…", False)] * (start > 0) + segments + [("…", False)] * (end < len(text))
    return _segments(text, spans, 0, len(text))


def match_spans(text: str, query: SearchQuery) -> list[tuple[int, int]]:
    """[start, end) of each match of a query term in the original characters of `text`, sorted, merged."""
    if query.empty or not text:
        return []
    folded, origin = _folded_with_origin(text)
    spans = []
    for phrase in query.phrases:
        for match in re.finditer(phrase.pattern(), folded):
            if match.end() > match.start():
                spans.append((origin[match.start()], origin[match.end() - 1] + 1))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _segments(text: str, spans: list[tuple[int, int]], start: int, end: int) -> list[Segment]:
    segments, position = [], start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        if span_start > position:
            segments.append((text[position:span_start], False))
        segments.append((text[span_start:span_end], True))
        position = span_end
    if position < end:
        segments.append((text[position:end], False))
    return segments


def _folded_with_origin(text: str) -> tuple[str, Sequence[int]]:
    """The normalised text, and for each of its characters the index of the original character it came from."""
    pieces = list(map(_fold, text))
    folded = "".join(pieces)
    if all(map((1).__eq__, map(len, pieces))):  # each character folded to one: all stay where they were (most text)
        return folded, range(len(text))
    origin = []
    for index, piece in enumerate(pieces):
        origin.extend([index] * len(piece))
    return folded, origin


@functools.lru_cache(maxsize=8192)
def _fold(character: str) -> str:
    return normalise(character)
