"""Languages: zh_CN first, English too (Flask-Babel); the choice is the person's, else the browser's."""

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGE_KEY = "language"

babel = Babel()


def current_language() -> str:
    chosen = session.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"], "zh-CN")
    return "en" if best == "en" else DEFAULT_LANGUAGE


def init_languages(app: Flask, timezone: str) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE, BABEL_DEFAULT_TIMEZONE=timezone,
                      BABEL_TRANSLATION_DIRECTORIES="translations")
    babel.init_app(app, locale_selector=current_language)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language)
