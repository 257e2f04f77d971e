"""Reading JSON request bodies the same way everywhere: a clear 422 for a wrong shape, never a 500."""

import datetime

from flask import request

from appliance.domain.errors import InvalidInputError


def json_object() -> dict:
    """The request's JSON body; raises InvalidInputError unless it is an object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInputError("the request body must be a JSON object")
    return body


def text(body: dict, name: str) -> str:
    """A text member ("" when absent); raises InvalidInputError for anything but text."""
    value = body.get(name, "")
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be text")
    return value


def choice(kind, value, name: str):
    """A member of the enum `kind`; raises InvalidInputError naming the known values."""
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise InvalidInputError(f"unknown {name} {value!r} (known: {known})") from None


def whole_number_arg(name: str, default, low: int, high: int):
    """A whole number from the query string (`default` when absent); raises InvalidInputError out of range."""
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidInputError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def date_arg(name: str, default: datetime.date | None = None) -> datetime.date | None:
    """The query argument `name` as a date written YYYY-MM-DD, `default` when absent; InvalidInputError otherwise."""
    text = request.args.get(name)
    if text is None:
        return default
    try:
        if len(text) != len("YYYY-MM-DD"):
            raise ValueError(text)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{name} must be a date as YYYY-MM-DD, not {text[:20]!r}") from None


def iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
