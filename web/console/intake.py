"""The intake queue: documents that found no place by themselves, and items made from batches to describe."""

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from appliance import assistance_wiring
from appliance.domain.errors import ConflictError, InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.scanning import IntakeDocumentView
from appliance.services import filing_suggestions, intake_review, viewing
from appliance.services.filing_suggestions import DESCRIPTIVE, FilingChoice
from web.console.forms import EmptyForm
from web.security import appliance, now, requires

blueprint = Blueprint("intake_console", __name__, template_folder="templates")
REFUSALS = (InvalidInputError, ConflictError)  # shown on the page; NotFoundError becomes a 404


@blueprint.get("/intake")
@requires(Action.INTAKE_VIEW)
def queue():
    overview = intake_review.intake_overview(appliance().uow_factory, g.principal.scope)
    return render_template("console/intake.html", queue=overview)


@blueprint.get("/intake/documents/<int(max=2147483647):document_id>")
@requires(Action.INTAKE_VIEW)
def document(document_id: int):
    return _document_page(document_id)


@blueprint.get("/intake/documents/<int(max=2147483647):document_id>/pages/<int(max=2147483647):number>.jpg")
@requires(Action.INTAKE_VIEW)
def page_image(document_id: int, number: int):
    box = appliance()
    image = viewing.view_intake_page(box.uow_factory, box.blob_store, box.imaging, g.principal, document_id, number,
                                     now())
    return Response(image, mimetype="image/jpeg", headers={"Cache-Control": "no-store, private"})


@blueprint.post("/intake/documents/<int(max=2147483647):document_id>/file")
@requires(Action.INTAKE_REVIEW)
def file_to_item(document_id: int):
    choice = FilingChoice(archival_code=request.form.get("archival_code", ""))
    return _act(document_id, lambda uow_factory, actor: _file(document_id, choice), gettext("Filed to the item."))


@blueprint.post("/intake/documents/<int(max=2147483647):document_id>/new-item")
@requires(Action.INTAKE_REVIEW)
def new_item(document_id: int):
    choice = FilingChoice(class_text=request.form.get("class", ""),
                          access_label=request.form.get("access_label", "内部"),
                          description={name: request.form.get(name, "") for name in DESCRIPTIVE})
    return _act(document_id, lambda uow_factory, actor: _file(document_id, choice),
                gettext("A new item was made from the document."))


def _file(document_id: int, choice: FilingChoice) -> IntakeDocumentView:
    """File as chosen and record how the suggestions shown fared (filing_suggestions.file_document)."""
    box = appliance()
    return filing_suggestions.file_document(box.uow_factory, assistance_wiring.models_for(box), g.principal,
                                            document_id, choice, now())


@blueprint.post("/intake/documents/<int(max=2147483647):document_id>/split")
@requires(Action.INTAKE_REVIEW)
def split(document_id: int):
    first_page = _whole_number(request.form.get("first_page", ""))
    return _act(document_id, lambda uow_factory, actor: intake_review.split_document(
        uow_factory, actor, document_id, first_page), gettext("The document was split."))


@blueprint.post("/intake/documents/<int(max=2147483647):document_id>/move")
@requires(Action.INTAKE_REVIEW)
def move(document_id: int):
    pages = [_whole_number(text) for text in request.form.getlist("page")]
    target = _whole_number(request.form.get("target", ""))
    return _act(document_id, lambda uow_factory, actor: intake_review.move_pages(
        uow_factory, actor, document_id, pages, target), gettext("The pages were moved."))


def _act(document_id: int, action, done: str):
    """Run one review act under the CSRF check; show its refusal on the document page, else go to the result."""
    if not EmptyForm().validate_on_submit():
        return _document_page(document_id, gettext("The form had expired: try again."), 400)
    try:
        result = action(appliance().uow_factory, g.principal.actor)
    except REFUSALS as refused:
        return _document_page(document_id, str(refused), 409 if isinstance(refused, ConflictError) else 422)
    flash(done)
    if result.archival_code:
        return redirect(url_for("items.item_page", code=result.archival_code))
    return redirect(url_for("intake_console.document", document_id=result.id))


def _document_page(document_id: int, error: str | None = None, status: int = 200):
    box = appliance()
    found = intake_review.intake_document(box.uow_factory, document_id)
    others = [view for view in intake_review.intake_overview(box.uow_factory, g.principal.scope).documents
              if view.id != document_id]
    may_review = g.principal.may(Action.INTAKE_REVIEW)
    suggestions = None
    if may_review and found.view.state.value == "intake":
        suggestions = filing_suggestions.document_suggestions(box.uow_factory, assistance_wiring.models_for(box),
                                                              document_id).fields
    return render_template("console/intake_document.html", document=found.view, pages=len(found.pages),
                           others=others, form=EmptyForm(), error=error, may_review=may_review,
                           suggestions=suggestions or {}, submitted=request.form if error else {},
                           may_describe=g.principal.may(Action.ITEM_EDIT_INTAKE)), status


def _whole_number(text: str) -> int:
    if not text.strip().isdigit():
        raise InvalidInputError(gettext("Give a page or document number."))
    return int(text)
