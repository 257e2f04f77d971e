"""GET /api/v1/search: full-text search over catalogue fields and OCR text, with facets and marked snippets; and the
reading of a search's query string, which the console's search page shares."""

from collections.abc import Mapping

from flask import Blueprint, g, jsonify, request

from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.search_text import FACETS, SearchFilter, SearchSort
from appliance.services.search import MAX_LIMIT, MAX_OFFSET, SearchHit, SearchPage, SearchResults, search
from web.api.v1.bodies import whole_number_arg
from web.api.v1.schema import TEXT, WHOLE, errors, object_schema, operation, query, response
from web.security import appliance, requires

blueprint = Blueprint("search_api", __name__, url_prefix="/api/v1")
STATES = ("intake", "archived", "destroyed")
LABELS = ("公开", "内部", "受控")
FILTER_ARGUMENTS = ("fonds", "year", "retention", "department", "label", "state", "from", "to")


@blueprint.get("/search")
@requires(Action.ITEM_READ)
def search_items():
    page = SearchPage(whole_number_arg("limit", 20, 1, MAX_LIMIT), whole_number_arg("offset", 0, 0, MAX_OFFSET))
    results = search(appliance().uow_factory, g.principal, request.args.get("q", ""), search_filter(request.args),
                     search_sort(request.args), page)
    return jsonify(results_json(results))


def results_json(results: SearchResults) -> dict:
    facets = {facet: [{"value": value if value != "" else None, "count": count}
                      for value, count in sorted(counts.items(), key=lambda pair: (-pair[1], str(pair[0])))]
              for facet, counts in results.facets.items()}
    return {"total": results.total, "total_exact": results.exact, "hits": [_hit_json(hit) for hit in results.hits],
            "facets": facets}


def _hit_json(hit: SearchHit) -> dict:
    return {"archival_code": hit.archival_code, "title": hit.title, "date": hit.date, "state": hit.state,
            "access_label": hit.access_label, "snippet_source": hit.snippet_source,
            "snippet": [{"text": text, "match": matched} for text, matched in hit.snippet]}


class SearchArgumentError(InvalidInputError):
    """A query-string argument of a search that cannot be used; `argument` names it, so a page can explain."""

    def __init__(self, argument: str, message: str):
        super().__init__(message)
        self.argument = argument


def search_filter(arguments: Mapping[str, str]) -> SearchFilter:
    """The filter a query string asks for, the same for the API and the console; raises SearchArgumentError."""
    values = {name: arguments.get(name, "").strip() or None for name in FILTER_ARGUMENTS}
    for name in ("fonds", "retention", "department"):
        values[name] = values[name].upper() if values[name] else None
    _one_of("retention", values["retention"], RETENTION_PERIODS)
    _one_of("label", values["label"], LABELS)
    _one_of("state", values["state"], STATES)
    for name in ("from", "to"):
        if values[name] is not None and not (_digits(values[name]) and len(values[name]) == 8):
            raise SearchArgumentError(name, f"{name} {values[name]!r} must be 8 digits, YYYYMMDD")
    return SearchFilter(values["fonds"], _year(arguments), values["retention"], values["department"],
                        values["label"], values["state"], values["from"], values["to"])


def search_sort(arguments: Mapping[str, str]) -> SearchSort:
    """The order a query string asks for (relevance when it names none); raises SearchArgumentError."""
    text = arguments.get("sort", "").strip() or SearchSort.RELEVANCE.value
    _one_of("sort", text, [sort.value for sort in SearchSort])
    return SearchSort(text)


def _year(arguments: Mapping[str, str]) -> int | None:
    text = arguments.get("year", "").strip()
    if text and not (_digits(text) and 1000 <= int(text) <= 9999):
        raise SearchArgumentError("year", "year must be a whole number from 1000 to 9999")
    return int(text) if text else None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit() alone takes "²", which int() refuses


def _one_of(name: str, value, known) -> None:
    if value is not None and value not in known:
        raise SearchArgumentError(name, f"unknown {name} {value!r} (known: {', '.join(known)})")


def openapi_paths() -> dict:
    """This module's paths for the OpenAPI document."""
    hit = object_schema({"archival_code": TEXT, "title": TEXT, "date": TEXT, "state": {"enum": list(STATES)},
                         "access_label": {"enum": list(LABELS)}, "snippet_source": {"enum": ["text", "title"]},
                         "snippet": {"type": "array", "items": object_schema({"text": TEXT,
                                                                               "match": {"type": "boolean"}})}})
    count = object_schema({"value": {"type": ["string", "integer", "null"]}, "count": WHOLE})
    facets = object_schema({facet: {"type": "array", "items": count} for facet in FACETS})
    date = {**TEXT, "pattern": r"^\d{8}$"}
    parameters = [
        query("q", {**TEXT, "maxLength": 500}, "terms, all required; \"quoted text\" is one phrase; Chinese of one "
                                                "character or more, 文号 with any brackets, archival-code prefixes"),
        query("fonds", {**TEXT, "maxLength": 10}, "fonds code"),
        query("year", {"type": "integer", "minimum": 1000, "maximum": 9999}, "filing year"),
        query("retention", {"enum": list(RETENTION_PERIODS)}, "retention period code"),
        query("department", {**TEXT, "maxLength": 10}, "department code"),
        query("label", {"enum": list(LABELS)}, "access label"),
        query("state", {"enum": list(STATES)}, "item state"),
        query("from", date, "earliest document date, YYYYMMDD"),
        query("to", date, "latest document date, YYYYMMDD"),
        query("sort", {"enum": [sort.value for sort in SearchSort]}, "relevance (default) or date, newest first"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "hits per page (default 20)"),
        query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "hits to skip"),
    ]
    body = object_schema({"total": WHOLE, "total_exact": {"type": "boolean"}, "hits": {"type": "array", "items": hit},
                          "facets": facets})
    return {"/api/v1/search": {"get": operation(
        "Items the principal may see whose catalogue fields or (with the right to view content) OCR text match; "
        "hidden items are neither listed nor counted", {"200": response(body), **errors(401, 403, 422)},
        parameters)}}
