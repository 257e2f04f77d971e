"""Languages: zh_CN first, English too (Flask-Babel); the choice is the person's, else the browser's."""

import datetime

from flask import Flask, request, session
from flask_babel import Babel, format_datetime, lazy_gettext

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


def local_time(moment: str | datetime.datetime, style: str = "yyyy-MM-dd HH:mm:ss") -> str:
    """A stored UTC moment (a datetime, or ISO 8601 text) in the box's time zone; `style` may also be a Babel
    style such as "short" or "medium", which follow the language."""
    if isinstance(moment, str):
        try:
            moment = datetime.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment  # an agent's text that is not a time: shown as it came (escaped by the template)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return format_datetime(moment, style)


STATE_LABELS = {
    "intake": lazy_gettext("In intake"),  # an item being described, or a document waiting in the queue
    "archived": lazy_gettext("Archived"),
    "destroyed": lazy_gettext("Destroyed"),
    "filed": lazy_gettext("Filed to an item"),
    "new-item": lazy_gettext("Made a new item"),
    "merged": lazy_gettext("Merged into another document"),
}


REQUEST_LABELS = {
    "archiving": lazy_gettext("Archiving"),
    "correction": lazy_gettext("Correction"),
    "borrowing": lazy_gettext("Borrowing"),
    "destruction": lazy_gettext("Destruction"),
    "pending": lazy_gettext("Pending"),
    "approved": lazy_gettext("Approved"),
    "rejected": lazy_gettext("Rejected"),
    "withdrawn": lazy_gettext("Withdrawn"),
    "approve": lazy_gettext("approved"),
    "reject": lazy_gettext("rejected"),
    "withdraw": lazy_gettext("withdrew"),
}


def request_label(value) -> str:
    """A request's kind, state or decision in the person's language."""
    value = getattr(value, "value", value)
    return str(REQUEST_LABELS.get(value, value))


def state_label(state) -> str:
    """An item's or an intake document's state in the person's language."""
    value = getattr(state, "value", state)
    return str(STATE_LABELS.get(value, value))


def init_languages(app: Flask, timezone: str) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE, BABEL_DEFAULT_TIMEZONE=timezone,
                      BABEL_TRANSLATION_DIRECTORIES="translations")
    babel.init_app(app, locale_selector=current_language)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=current_language, local_time=local_time,
                                 state_label=state_label, request_kind_label=request_label,
                                 request_state_label=request_label, request_decision_label=request_label)
    app.jinja_env.filters["local_time"] = local_time
