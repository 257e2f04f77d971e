"""GET /api/v1/search: full-text search over catalogue fields and OCR text, with facets and marked snippets."""

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


@blueprint.get("/search")
@requires(Action.ITEM_READ)
def search_items():
    page = SearchPage(whole_number_arg("limit", 20, 1, MAX_LIMIT), whole_number_arg("offset", 0, 0, MAX_OFFSET))
    results = search(appliance().uow_factory, g.principal, request.args.get("q", ""), _filter(), _sort(), page)
    return jsonify(results_json(results))


def results_json(results: SearchResults) -> dict:
    facets = {facet: [{"value": value if value != "" else None, "count": count}
                      for value, count in sorted(counts.items(), key=lambda pair: (-pair[1], str(pair[0])))]
              for facet, counts in results.facets.items()}
    return {"total": results.total, "hits": [_hit_json(hit) for hit in results.hits], "facets": facets}


def _hit_json(hit: SearchHit) -> dict:
    return {"archival_code": hit.archival_code, "title": hit.title, "date": hit.date, "state": hit.state,
            "access_label": hit.access_label, "snippet_source": hit.snippet_source,
            "snippet": [{"text": text, "match": matched} for text, matched in hit.snippet]}


def _filter() -> SearchFilter:
    arguments = {name: request.args.get(name, "").strip() or None for name in
                 ("fonds", "retention", "department", "label", "state", "from", "to")}
    for name in ("fonds", "retention", "department"):
        arguments[name] = arguments[name].upper() if arguments[name] else None
    _one_of("retention", arguments["retention"], RETENTION_PERIODS)
    _one_of("label", arguments["label"], LABELS)
    _one_of("state", arguments["state"], STATES)
    return SearchFilter(arguments["fonds"], whole_number_arg("year", None, 1000, 9999), arguments["retention"],
                        arguments["department"], arguments["label"], arguments["state"], arguments["from"],
                        arguments["to"])


def _sort() -> SearchSort:
    text = request.args.get("sort", "").strip() or SearchSort.RELEVANCE.value
    _one_of("sort", text, [sort.value for sort in SearchSort])
    return SearchSort(text)


def _one_of(name: str, value, known) -> None:
    if value is not None and value not in known:
        raise InvalidInputError(f"unknown {name} {value!r} (known: {', '.join(known)})")


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
    body = object_schema({"total": WHOLE, "hits": {"type": "array", "items": hit}, "facets": facets})
    return {"/api/v1/search": {"get": operation(
        "Items the principal may see whose catalogue fields or (with the right to view content) OCR text match; "
        "hidden items are neither listed nor counted", {"200": response(body), **errors(401, 403, 422)},
        parameters)}}
