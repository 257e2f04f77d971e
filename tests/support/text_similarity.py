"""Character error rate of OCR output against the text that was printed, for tests and the OCR benchmark."""

import re
import unicodedata

# Marks a reader takes for the same thing, whatever their width or exact shape. NFKC already folds the full-width
# forms (，：；（）！？０-９Ａ-Ｚ) into ASCII; this adds the brackets of a document number (〔2011〕, which tesseract
# reads as 【2011] or [2011]), quotation marks and dashes. Chinese-only marks (。、《》…) are left as they are.
READER_EQUIVALENTS = str.maketrans({
    "〔": "[", "【": "[", "〖": "[", "［": "[",
    "〕": "]", "】": "]", "〗": "]", "］": "]",
    "“": '"', "”": '"', "「": '"', "」": '"',
    "‘": "'", "’": "'",
    "—": "-", "–": "-", "－": "-",
})
_WHITESPACE = re.compile(r"\s+")


def without_whitespace(text: str) -> str:
    """The text with every space, tab and line break removed: OCR line breaks and spacing are not errors."""
    return _WHITESPACE.sub("", text)


def normalise_for_reading(text: str) -> str:
    """Whitespace removed, then NFKC (full-width to half-width) and READER_EQUIVALENTS applied."""
    return unicodedata.normalize("NFKC", without_whitespace(text)).translate(READER_EQUIVALENTS)


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions that turn one into the other."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for row, first_character in enumerate(first, start=1):
        current = [row]
        for column, second_character in enumerate(second, start=1):
            substitution = previous[column - 1] + (first_character != second_character)
            current.append(min(previous[column] + 1, current[column - 1] + 1, substitution))
        previous = current
    return previous[-1]


def character_error_rate(reference: str, recognised: str, normalise: bool = True) -> float:
    """Edit distance / reference length, whitespace ignored; with `normalise`, punctuation width is ignored too.

    Raises ValueError for a reference with no characters.
    """
    prepare = normalise_for_reading if normalise else without_whitespace
    reference, recognised = prepare(reference), prepare(recognised)
    if not reference:
        raise ValueError("the reference text is empty")
    return edit_distance(reference, recognised) / len(reference)
