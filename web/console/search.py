"""The console's search page: a query box, hits with their matches marked, facets that narrow, sorting and paging.

The query string is read as the API reads it (web.api.v1.search), so a search found on the page can be repeated
through the API; the page adds `page` (20 hits each) and accepts dates as a browser's date field sends them.
"""

import math
from dataclasses import dataclass

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.search_text import FACETS, SearchSort, marked, parse_query
from appliance.services.search import MAX_OFFSET, SearchPage, SearchResults, search
from web.api.v1.search import FILTER_ARGUMENTS, SearchArgumentError, search_filter, search_sort
from web.i18n import current_language, state_label
from web.security import appliance, requires

blueprint = Blueprint("search", __name__, template_folder="templates")
PER_PAGE = 20
LAST_PAGE = MAX_OFFSET // PER_PAGE + 1  # the service goes no deeper
UPPER_CASE = ("fonds", "retention", "department")
FACET_ARGUMENT = {"fonds": "fonds", "year": "year", "retention": "retention", "department": "department",
                  "access_label": "label", "state": "state"}
FILTER_TITLES = {"fonds": lazy_gettext("Fonds"), "year": lazy_gettext("Year"), "retention": lazy_gettext("Retention"),
                 "department": lazy_gettext("Department"), "label": lazy_gettext("Access"),
                 "state": lazy_gettext("State"), "from": lazy_gettext("From date"), "to": lazy_gettext("To date")}
PROBLEMS = {
    "year": lazy_gettext("The year must be a number of four digits, such as 2019."),
    "from": lazy_gettext("A date must be a day of the calendar, such as 2019-04-01."),
    "to": lazy_gettext("A date must be a day of the calendar, such as 2019-04-01."),
    "page": lazy_gettext("Pages are numbered from 1 to %(last)d; narrow the search to see more.", last=LAST_PAGE),
}


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    url: str | None  # None when the value is already chosen, or cannot be asked for (no department)


@dataclass(frozen=True)
class FacetGroup:
    title: str
    links: list[FacetLink]


@dataclass(frozen=True)
class ActiveFilter:
    title: str
    label: str
    remove_url: str


@dataclass(frozen=True)
class Pager:
    number: int
    last: int
    previous_url: str | None
    next_url: str | None


@blueprint.get("/search")
@requires(Action.ITEM_READ)
def results():
    arguments = _arguments()
    query_text = arguments.get("q", "")
    try:
        number = _page_number()
        filters, sort = search_filter(arguments), search_sort(arguments)
        if parse_query(query_text).empty:
            return _render(arguments)
        page = SearchPage(PER_PAGE, (number - 1) * PER_PAGE)
        found = search(appliance().uow_factory, g.principal, query_text, filters, sort, page)
    except InvalidInputError as refused:
        return _render(arguments, problem=_problem(refused)), 422
    return _render(arguments, found=found, number=number)


def _render(arguments: dict, found: SearchResults | None = None, number: int = 1, problem: str | None = None):
    """The page; without results only the box, with the hint (or what was wrong with the search)."""
    shown = {} if found is None else _results_shown(arguments, found, number)
    return render_template("console/search.html", arguments=arguments, found=found, problem=problem,
                           active=_active_filters(arguments), dates=_dashed_dates(arguments), dashed=_dashed,
                           **shown)


def _results_shown(arguments: dict, found: SearchResults, number: int) -> dict:
    pager = _pager(arguments, found.total, number)
    return {"pager": pager, "facets": _facet_groups(arguments, found.facets), "first_number": _first(number),
            "beyond": found.total > 0 and number > pager.last, "sort_links": _sort_links(arguments),
            # titles are marked even when the snippet comes from the page text
            "titles": [marked(hit.title, found.query) for hit in found.hits]}


def _arguments() -> dict[str, str]:
    """The search's query-string arguments that are filled in; dates as YYYYMMDD, codes in capitals, as the
    search reads them, so that a facet's value and the chosen filter compare equal."""
    arguments = {}
    for name in ("q", *FILTER_ARGUMENTS, "sort"):
        value = request.args.get(name, "").strip()
        if name in ("from", "to"):
            value = value.replace("-", "")  # a date field sends 2019-04-01
        if name in UPPER_CASE:
            value = value.upper()
        if value:
            arguments[name] = value
    return arguments


def _page_number() -> int:
    text = request.args.get("page", "").strip() or "1"
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= LAST_PAGE):
        raise SearchArgumentError("page", f"page must be a whole number from 1 to {LAST_PAGE}")
    return int(text)


def _problem(refused: InvalidInputError) -> str:
    argument = getattr(refused, "argument", None)
    if argument in PROBLEMS:
        return str(PROBLEMS[argument])
    if argument in FILTER_TITLES or argument == "sort":
        return gettext("Choose a value offered on this page for “%(what)s”; the search was not run.",
                       what=FILTER_TITLES.get(argument, gettext("Sort")))
    return gettext("The search could not be run: %(reason)s", reason=str(refused))


def _search_url(arguments: dict, **changes) -> str:
    """The search page with `arguments` changed (None removes one); back to the first page unless one is given."""
    merged = {name: value for name, value in {**arguments, **changes}.items() if value is not None}
    return url_for("search.results", **merged)


def _pager(arguments: dict, total: int, number: int) -> Pager:
    last = max(1, min(LAST_PAGE, math.ceil(total / PER_PAGE)))
    previous_url = _search_url(arguments, page=min(number, last + 1) - 1) if number > 1 else None
    next_url = _search_url(arguments, page=number + 1) if number < last else None
    return Pager(number, last, previous_url, next_url)


def _first(number: int) -> int:
    return (number - 1) * PER_PAGE + 1


def _sort_links(arguments: dict) -> list[tuple[str, str | None]]:
    """(label, url) for each order; no url for the one in use."""
    chosen = arguments.get("sort", SearchSort.RELEVANCE.value)
    labels = {SearchSort.RELEVANCE: gettext("Most relevant first"), SearchSort.DATE: gettext("Newest first")}
    return [(label, None if sort.value == chosen else _search_url(arguments, sort=sort.value))
            for sort, label in labels.items()]


def _facet_groups(arguments: dict, facets: dict[str, dict]) -> list[FacetGroup]:
    groups = []
    for facet in FACETS:
        argument, counts = FACET_ARGUMENT[facet], facets.get(facet, {})
        ordered = sorted(counts.items(), key=lambda pair: (-pair[1], str(pair[0])))
        links = [FacetLink(_value_label(argument, value), count, _facet_url(arguments, argument, value))
                 for value, count in ordered if count]
        if links:
            groups.append(FacetGroup(str(FILTER_TITLES[argument]), links))
    return groups


def _facet_url(arguments: dict, argument: str, value) -> str | None:
    if value in ("", None) or arguments.get(argument) == str(value):
        return None
    return _search_url(arguments, **{argument: str(value)})


def _value_label(argument: str, value) -> str:
    """A facet's or filter's value as people read it: the retention period's name, the state in their language."""
    if argument == "retention" and value in RETENTION_PERIODS:
        period = RETENTION_PERIODS[value]
        return period.name_en if current_language() == "en" else period.name_zh
    if argument == "state":
        return state_label(value)
    if argument == "department" and value in ("", None):
        return gettext("No department")
    if argument in ("from", "to"):
        return _dashed(value)
    return str(value)


def _active_filters(arguments: dict) -> list[ActiveFilter]:
    return [ActiveFilter(str(FILTER_TITLES[name]), _value_label(name, arguments[name]),
                         _search_url(arguments, **{name: None}))
            for name in FILTER_ARGUMENTS if name in arguments]


def _dashed_dates(arguments: dict) -> dict[str, str]:
    """The dates as a date field shows them."""
    return {name: _dashed(arguments.get(name, "")) for name in ("from", "to")}


def _dashed(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 and value.isdigit() else value
