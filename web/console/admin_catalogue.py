"""The system administrator's catalogue settings: fonds (全宗) and their schemes, departments, categories (门类)."""

from flask import render_template, request
from flask_babel import gettext

from appliance.domain.catalogue import Scheme
from appliance.domain.permissions import Action
from appliance.services import fonds as fonds_service
from web.console.admin import actor, apply_change, blueprint, form_text, scheme_labels
from web.security import appliance, requires


@blueprint.get("/admin/catalogue")
@requires(Action.CATALOGUE_CONFIGURE)
def catalogue_settings():
    return _settings_page()


@blueprint.post("/admin/fonds")
@requires(Action.CATALOGUE_CONFIGURE)
def add_fonds():
    code = form_text("code", 20).upper()
    return apply_change(
        lambda: fonds_service.add_fonds(appliance().uow_factory, actor(), code, form_text("name"), form_text("scheme")),
        _settings_page, gettext("Fonds %(code)s added.", code=code), "admin.catalogue_settings")


@blueprint.post("/admin/fonds/<code>/scheme")
@requires(Action.CATALOGUE_CONFIGURE)
def change_scheme(code: str):
    return apply_change(
        lambda: fonds_service.change_scheme(appliance().uow_factory, actor(), code, form_text("scheme")),
        _settings_page, gettext("Classification scheme of fonds %(code)s changed.", code=code),
        "admin.catalogue_settings")


@blueprint.post("/admin/fonds/<code>/departments")
@requires(Action.CATALOGUE_CONFIGURE)
def add_department(code: str):
    department = form_text("code", 20).upper()
    return apply_change(
        lambda: fonds_service.add_department(appliance().uow_factory, actor(), code, department, form_text("name")),
        _settings_page, gettext("Department %(department)s added to fonds %(code)s.", department=department,
                                code=code), "admin.catalogue_settings")


@blueprint.post("/admin/categories")
@requires(Action.CATALOGUE_CONFIGURE)
def add_category():
    code = form_text("code", 20).upper()
    return apply_change(lambda: fonds_service.add_category(appliance().uow_factory, actor(), code, form_text("name")),
                        _settings_page, gettext("Category %(code)s added.", code=code), "admin.catalogue_settings")


def _settings_page(error: str | None = None) -> str:
    uow_factory = appliance().uow_factory
    fonds = fonds_service.list_fonds(uow_factory)
    departments = {each.code: fonds_service.list_departments(uow_factory, each.code) for each in fonds}
    # The form that was refused keeps what was typed; the others start empty.
    entered = {"endpoint": request.endpoint, "fonds": (request.view_args or {}).get("code"), **request.form} \
        if request.method == "POST" else {}
    return render_template("console/admin_catalogue.html", fonds=fonds, departments=departments,
                           categories=fonds_service.list_categories(uow_factory), schemes=list(Scheme),
                           scheme_labels=scheme_labels(), error=error, entered=entered)
