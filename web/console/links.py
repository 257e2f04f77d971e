"""Related records on the item page: the links of an item in both directions, grouped by relation, the forms to add
and remove links by hand, and the graph around the item drawn as SVG on the server (issue 8).

The item page includes console/_item_links.html, which asks `item_links(item)` for its data: this module owns the
section, so the item page's view need not know about links.
"""

from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from appliance.adapters.link_graph_svg import render_graph_svg
from appliance.domain.citations import LinkOrigin, RelatedRecord, Relation
from appliance.domain.errors import ConflictError, InvalidInputError
from appliance.services.links import EDIT_LINKS, MAX_NOTE, add_link, link_graph, related_records, remove_link
from web.security import appliance, current_principal, requires

blueprint = Blueprint("links", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError)
RELATION_LABELS = {Relation.CITES: lazy_gettext("Cites"), Relation.REPLIES: lazy_gettext("Replies to"),
                   Relation.FORWARDS: lazy_gettext("Forwards"), Relation.IMPLEMENTS: lazy_gettext("Implements"),
                   Relation.RELATED: lazy_gettext("Related")}
GROUPS = (  # (key, heading), in the order the page lists them: what the item does, then what is done to it
    ("replies:out", RELATION_LABELS[Relation.REPLIES]), ("forwards:out", RELATION_LABELS[Relation.FORWARDS]),
    ("implements:out", RELATION_LABELS[Relation.IMPLEMENTS]), ("cites:out", RELATION_LABELS[Relation.CITES]),
    ("replies:in", lazy_gettext("Replied to by")), ("forwards:in", lazy_gettext("Forwarded by")),
    ("implements:in", lazy_gettext("Implemented by")), ("cites:in", lazy_gettext("Cited by")),
    ("related", RELATION_LABELS[Relation.RELATED]),
)


@dataclass(frozen=True)
class LinksSection:
    """What the item page's related-records section shows."""

    groups: list[tuple[str, list[RelatedRecord]]]  # (heading, records), only groups with records
    count: int
    editable: bool
    graph: Markup | None
    relations: list[tuple[str, str]]  # (value, label) for the form
    max_note: int = MAX_NOTE


@blueprint.app_template_global()
def item_links(item) -> LinksSection:
    """The related-records section of an item's page, for the person looking at it."""
    principal = current_principal()
    records = related_records(appliance().uow_factory, item.archival_code, principal.scope)
    by_group: dict[str, list[RelatedRecord]] = {}
    for record in records:
        by_group.setdefault(record.group, []).append(record)
    groups = [(str(heading), by_group[key]) for key, heading in GROUPS if key in by_group]
    graph = graph_svg(item.archival_code, principal.scope) if records else None
    return LinksSection(groups, len(records), principal.may(EDIT_LINKS), graph,
                        [(relation.value, str(label)) for relation, label in RELATION_LABELS.items()])


def graph_svg(archival_code: str, scope) -> Markup:
    """The graph around an item as SVG, its nodes linked to the item pages, labels in the page's language."""
    graph = link_graph(appliance().uow_factory, archival_code, scope)
    labels = {relation: str(label) for relation, label in RELATION_LABELS.items()}
    caption = gettext("Records related to %(code)s", code=archival_code)
    svg = render_graph_svg(graph, lambda code: url_for("items.item_page", code=code), labels, caption)
    return Markup(svg)  # every text in it is escaped by the renderer


@blueprint.app_template_global()
def link_origin_label(record: RelatedRecord) -> str:
    if record.link.origin is LinkOrigin.AUTO:
        return gettext("found in the text: %(evidence)s", evidence=record.link.evidence)
    return gettext("added by %(who)s", who=record.link.created_by or "—")


@blueprint.post("/items/<code>/links")
@requires(EDIT_LINKS)
def add(code: str):
    form = request.form
    try:
        add_link(appliance().uow_factory, g.principal, code, form.get("related", ""), form.get("relation", ""),
                 form.get("note", ""))
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Link added."), "info")
    return redirect(url_for("items.item_page", code=code, _anchor="links"))


@blueprint.post("/items/<code>/links/<int(max=2147483647):link_id>/remove")
@requires(EDIT_LINKS)
def remove(code: str, link_id: int):
    try:
        remove_link(appliance().uow_factory, g.principal, code, link_id)
    except REFUSALS as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("Link removed."), "info")
    return redirect(url_for("items.item_page", code=code, _anchor="links"))
