"""Administration pages: the blueprint, what its pages share, and the security policy page.

The security administrator's pages (users, API tokens) are in admin_accounts, the system administrator's (fonds,
departments, categories) in admin_catalogue; both add their routes to this blueprint and are imported at the end.
Every change is a POST (CSRF-checked for the whole app in web.security) that redirects back with a flash message;
a refused change re-renders the page with the error and the status web.errors gives it.
"""

from collections.abc import Callable

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from appliance.domain.accounts import Role
from appliance.domain.catalogue import AccessLabel, Scheme
from appliance.domain.errors import DanganError, InvalidInputError
from appliance.domain.permissions import MATRIX, Action
from web.errors import status_for
from web.security import appliance, requires

blueprint = Blueprint("admin", __name__, template_folder="templates")

NO_STORE = {"Cache-Control": "no-store"}  # pages that show a secret once must not linger in a cache


def clearance_labels() -> dict[AccessLabel, str]:
    """Clearances in the page's language (gettext at render time: the extractor sees these strings)."""
    return {AccessLabel.PUBLIC: gettext("Public"), AccessLabel.INTERNAL: gettext("Internal"),
            AccessLabel.RESTRICTED: gettext("Restricted")}


def scheme_labels() -> dict[Scheme, str]:
    """Classification schemes in the page's language, their levels in order."""
    return {Scheme.YEAR_DEPARTMENT_RETENTION: gettext("Year – department – retention"),
            Scheme.YEAR_RETENTION_DEPARTMENT: gettext("Year – retention – department"),
            Scheme.YEAR_RETENTION: gettext("Year – retention")}


def form_text(name: str, limit: int = 200) -> str:
    """A text field of the posted form, stripped; raises InvalidInputError when longer than `limit`."""
    value = request.form.get(name, "").strip()
    if len(value) > limit:
        raise InvalidInputError(f"{name} is {len(value)} characters long; at most {limit} allowed")
    return value


def form_number(name: str, limit: int) -> int | None:
    """A whole number from the posted form (None when blank); raises InvalidInputError unless 1..limit."""
    text = form_text(name, 12)
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= limit:
        raise InvalidInputError(f"{name} must be a whole number from 1 to {limit}, not {text!r}")
    return int(text)


def apply_change(change: Callable[[], object], page: Callable[..., str], message: str, endpoint: str):
    """Run a change; on success flash `message` and redirect to `endpoint`, else re-render `page` with the error."""
    try:
        change()
    except DanganError as error:
        return refused(page, error)
    flash(message, "done")
    return redirect(url_for(endpoint))


def refused(page: Callable[..., str], error: DanganError):
    """The page again, with the refusal in words and the status that web.errors maps the error to."""
    return page(error=str(error)), status_for(error)


def actor():
    """Who is making the change, for the audit log."""
    return g.principal.actor


@blueprint.get("/admin/policy")
@requires(Action.SECURITY_POLICY)
def policy():
    box = appliance()
    return render_template("console/admin_policy.html", password=box.password_policy, lockout=box.lockout_policy,
                           session_policy=box.session_policy, throttle=box.throttle_policy, roles=list(Role),
                           actions=list(Action), matrix=MATRIX)


# The feature modules add their routes to `blueprint`; importing them here registers them with it.
from web.console import admin_accounts, admin_catalogue  # noqa: E402, F401
