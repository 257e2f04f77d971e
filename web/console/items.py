"""The item page (metadata, pages, OCR text, history), editing items in intake, and the watermarked viewer."""

import re

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext

from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.permissions import Action
from appliance.services import item_editing, viewing
from appliance.services.item_standing import item_standing
from appliance.services.items import show_item
from web.console.borrowing import viewing_grant
from web.console.forms import EmptyForm
from web.security import appliance, now, requires, requires_content

blueprint = Blueprint("items", __name__, template_folder="templates")
EDIT_FIELDS = ("title", "date", "responsible", "doc_number", "access_label", "pages", "notes")
NOT_CACHED = {"Cache-Control": "no-store, private"}  # a stamped view names its viewer: never shared or kept


@blueprint.get("/items/<code>")
@requires(Action.ITEM_READ)
def item_page(code: str):
    principal = g.principal
    view = show_item(appliance().uow_factory, code, principal.scope)
    content = None
    if _may_see_content(code):
        content = viewing.item_content(appliance().uow_factory, code, principal.scope)
    by_grant = not principal.may(Action.ITEM_VIEW_CONTENT)  # content only through a borrowing: say how it stands
    grant = viewing_grant(principal, view.item.archival_code, now()) if by_grant else None
    return _item_page(view, content=content, error=request.args.get("error"), by_grant=by_grant, grant=grant)


def _item_page(view, **shown) -> str:
    """The item page with where the item stands; `shown` adds its content, an error, the form as submitted."""
    principal = g.principal
    state = view.item.state.value
    return render_template("console/item.html", view=view, item=view.item, form=shown.pop("form", EmptyForm()),
                           editable=principal.may(Action.ITEM_EDIT_INTAKE) and state == "intake",
                           correctable=principal.may(Action.CORRECTION_REQUEST) and state == "archived",
                           standing=item_standing(appliance().uow_factory, view.item.archival_code, principal.scope),
                           **shown)


@blueprint.post("/items/<code>/edit")
@requires(Action.ITEM_EDIT_INTAKE)
def edit_item(code: str):
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("items.item_page", code=code))
    changes = {name: request.form[name] for name in EDIT_FIELDS if name in request.form}
    try:
        item = item_editing.edit_intake_item(appliance().uow_factory, g.principal.actor, code, changes,
                                             g.principal.scope)
    except (InvalidInputError, ConflictError) as refused:
        view = show_item(appliance().uow_factory, code, g.principal.scope)
        return _item_page(view, form=form, error=str(refused), submitted=changes), 422
    return redirect(url_for("items.item_page", code=item.archival_code, saved=1))


@blueprint.get("/items/<code>/pages/<int(max=2147483647):number>")
@requires_content
def viewer(code: str, number: int):
    viewing.content_access(appliance().uow_factory, g.principal, code, now())
    content = viewing.item_content(appliance().uow_factory, code, g.principal.scope)
    if not 1 <= number <= len(content.pages):
        raise NotFoundError(gettext("This item has no page %(number)d.", number=number))
    return render_template("console/viewer.html", item=content.item, number=number, total=len(content.pages),
                           text=content.texts[number - 1])


@blueprint.get("/items/<code>/pages/<int(max=2147483647):number>.jpg")
@requires_content
def page_image(code: str, number: int):
    box = appliance()
    image = viewing.view_page(box.uow_factory, box.blob_store, box.imaging, g.principal, code, number, now())
    return Response(image, mimetype="image/jpeg", headers=NOT_CACHED)


@blueprint.get("/items/<code>/download.pdf")
@requires_content
def download(code: str):
    return _pdf(code, "download", "attachment")


@blueprint.get("/items/<code>/print.pdf")
@requires_content
def print_copy(code: str):
    return _pdf(code, "print", "inline")


def _may_see_content(code: str) -> bool:
    try:
        viewing.content_access(appliance().uow_factory, g.principal, code, now())
    except ForbiddenError:
        return False
    return True


def _pdf(code: str, purpose: str, disposition: str) -> Response:
    box = appliance()
    document = viewing.download_pdf(box.uow_factory, box.blob_store, box.imaging, g.principal, code, now(), purpose)
    filename = re.sub(r"[^A-Za-z0-9-]", "-", code)[:80]
    headers = {**NOT_CACHED, "Content-Disposition": f'{disposition}; filename="{filename}.pdf"'}
    return Response(document, mimetype="application/pdf", headers=headers)
