"""Describing items still in intake: fix their catalogue fields before they are archived."""

from dataclasses import asdict

from appliance.domain.access import AccessScope
from appliance.domain.actors import Actor
from appliance.domain.catalogue import Item, ItemFields, ItemState
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.services.audit import record
from appliance.services.links import link_cited_by
from appliance.services.search import index_item

EDITABLE = ("title", "date", "responsible", "doc_number", "access_label", "pages", "notes")


def edit_intake_item(uow_factory, actor: Actor, archival_code: str, changes: dict, scope: AccessScope) -> Item:
    """Change some fields of an item in intake; the audit event holds each field's old and new value.

    Raises NotFoundError (unknown or hidden item), ConflictError (archived: fields change only through a
    correction), InvalidInputError (an unknown field, a bad value, pages that disagree with the page images).
    """
    check_field_names(changes)
    code = parse_archival_code(archival_code).format()
    with uow_factory() as uow:
        found = uow.catalogue.get_item_with_pages(code)
        if found is None or not scope.can_see(found[0]):
            raise NotFoundError(f"no item {code}")
        item, pages = found
        if item.state is not ItemState.INTAKE:
            raise ConflictError(f"item {code} is {item.state.value}: its fields change only through a correction")
        fields = changed_fields(item.fields, changes, len(pages))
        if not (changed := field_differences(item.fields, fields)):
            return item
        uow.catalogue.update_fields(item.id, fields)
        index_item(uow, item.id)
        if "doc_number" in changed:
            link_cited_by(uow, item.id)
        record(uow, actor, "item.edit", "item", code, changed)
        uow.commit()
        return uow.catalogue.get_item(code)


def check_field_names(changes: dict) -> None:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInputError(f"unknown or fixed field(s): {', '.join(unknown)} (editable: {', '.join(EDITABLE)})")


def changed_fields(current: ItemFields, changes: dict, page_images: int) -> ItemFields:
    """The fields with `changes` applied, validated; raises InvalidInputError naming the bad field."""
    values = {name: value for name, value in asdict(current).items() if name in EDITABLE}
    values["access_label"] = current.access_label.value
    values.update({name: value for name, value in changes.items() if value is not None})
    try:
        values["pages"] = int(values["pages"])
    except (TypeError, ValueError):
        raise InvalidInputError(f"页数 (pages) {values['pages']!r} must be a whole number") from None
    if page_images and values["pages"] != page_images:
        raise InvalidInputError(f"页数 (pages) is {page_images}: the item has {page_images} page images")
    return ItemFields.build(**{name: (str(value) if name != "pages" else value) for name, value in values.items()})


def field_differences(before: ItemFields, after: ItemFields) -> dict:
    """{field: [old, new]} for every field that differs."""
    old, new = asdict(before), asdict(after)
    return {name: [_plain(old[name]), _plain(new[name])] for name in old if old[name] != new[name]}


def _plain(value):
    return getattr(value, "value", value)
