"""Every string of the console has its Chinese translation, with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[3]
CATALOGUE = REPO / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def console_strings() -> set[str]:
    method_map = [("web/**.py", "python"), ("web/**/templates/**.html", "jinja2")]
    found = extract_from_dir(str(REPO), method_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}


def test_every_console_string_is_translated():
    translations = catalogue()
    untranslated = sorted(text for text in console_strings() if not translations.get(text))
    assert untranslated == []


def test_translations_keep_the_placeholders():
    wrong = [text for text, chinese in catalogue().items()
             if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(chinese))]
    assert wrong == []


def test_the_catalogue_holds_no_strings_the_console_no_longer_uses():
    assert sorted(set(catalogue()) - console_strings()) == []
