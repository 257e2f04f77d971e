"""The security administrator's pages: users (roles, scope, lockout, passwords, second factor) and API tokens.

A one-time password or a token secret is shown once, on the page that answers the POST, and never put in the
session cookie or a flash message (those travel back to the browser on every request).
"""

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from appliance.adapters.secrets import random_password
from appliance.domain.access import AccessScope, parse_clearance, parse_departments
from appliance.domain.accounts import Role
from appliance.domain.errors import DanganError
from appliance.domain.permissions import Action
from appliance.services import accounts as account_service
from appliance.services import api_tokens as token_service
from appliance.services import second_factor as second_factor_service
from web.console.admin import (
    NO_STORE,
    actor,
    apply_change,
    blueprint,
    clearance_labels,
    form_number,
    form_text,
    refused,
)
from web.security import appliance, now, requires

GENERATED_PASSWORD_LENGTH = 16
MAX_TOKEN_DAYS = 3650
ADD_USER_FIELDS = ("username", "display_name", "clearance", "departments")  # refilled after a refusal: no password
DEPARTMENT_SEPARATORS = re.compile(r"[\s,，、;；]+")


@blueprint.get("/admin/users")
@requires(Action.ACCOUNTS_MANAGE)
def users():
    return _users_page()


@blueprint.post("/admin/users")
@requires(Action.ACCOUNTS_MANAGE)
def add_user():
    box = appliance()
    try:
        password, generated = _password_entered()
        account = account_service.add_user(box.uow_factory, box.passwords, actor(), form_text("username", 64),
                                           password, request.form.getlist("role"), form_text("display_name"),
                                           scope=_scope_entered(), policy=box.password_policy, now=now())
    except DanganError as error:
        return refused(_users_page, error)
    if generated:
        return _one_time_password(account.username, password)
    flash(gettext("User %(user)s added; they must change the password at the first sign-in.",
                  user=account.username), "done")
    return redirect(url_for("admin.users"))


@blueprint.post("/admin/users/<username>/roles")
@requires(Action.ROLES_ASSIGN)
def set_roles(username: str):
    return apply_change(
        lambda: account_service.set_roles(appliance().uow_factory, actor(), username, request.form.getlist("role")),
        _users_page, gettext("Roles of %(user)s changed.", user=username), "admin.users")


@blueprint.post("/admin/users/<username>/scope")
@requires(Action.ACCOUNTS_MANAGE)
def set_scope(username: str):
    return apply_change(lambda: account_service.set_scope(appliance().uow_factory, actor(), username, _scope_entered()),
                        _users_page, gettext("Clearance and departments of %(user)s changed.", user=username),
                        "admin.users")


@blueprint.post("/admin/users/<username>/email")
@requires(Action.ACCOUNTS_MANAGE)
def set_email(username: str):
    return apply_change(
        lambda: account_service.set_mail_address(appliance().uow_factory, actor(), username, form_text("email", 300)),
        _users_page, gettext("Mail address of %(user)s changed.", user=username), "admin.users")


@blueprint.post("/admin/users/<username>/unlock")
@requires(Action.ACCOUNTS_MANAGE)
def unlock(username: str):
    return apply_change(lambda: account_service.unlock(appliance().uow_factory, actor(), username),
                        _users_page, gettext("%(user)s is unlocked.", user=username), "admin.users")


@blueprint.post("/admin/users/<username>/disable")
@requires(Action.ACCOUNTS_MANAGE)
def disable(username: str):
    return apply_change(lambda: account_service.disable(appliance().uow_factory, actor(), username),
                        _users_page, gettext("%(user)s is disabled and signed out.", user=username), "admin.users")


@blueprint.post("/admin/users/<username>/password")
@requires(Action.ACCOUNTS_MANAGE)
def reset_password(username: str):
    box = appliance()
    try:
        password, generated = _password_entered()
        account_service.reset_password(box.uow_factory, box.passwords, actor(), username, password,
                                       policy=box.password_policy, now=now())
    except DanganError as error:
        return refused(_users_page, error)
    if generated:
        return _one_time_password(username, password)
    flash(gettext("Password of %(user)s reset; they must change it at the next sign-in.", user=username), "done")
    return redirect(url_for("admin.users"))


@blueprint.post("/admin/users/<username>/totp")
@requires(Action.ACCOUNTS_MANAGE)
def reset_totp(username: str):
    return apply_change(lambda: second_factor_service.reset_totp(appliance().uow_factory, actor(), username),
                        _users_page, gettext("Second factor of %(user)s removed; they set up a new one at the next "
                                             "sign-in.", user=username), "admin.users")


@blueprint.get("/admin/tokens")
@requires(Action.ACCOUNTS_MANAGE)
def api_tokens():
    return _tokens_page()


@blueprint.post("/admin/tokens")
@requires(Action.ACCOUNTS_MANAGE)
def issue_token():
    try:
        token, secret = token_service.issue_token(appliance().uow_factory, actor(), form_text("owner", 64),
                                                  form_text("name"), request.form.getlist("scope"), now(),
                                                  form_number("valid_days", MAX_TOKEN_DAYS))
    except DanganError as error:
        return refused(_tokens_page, error)
    return render_template("console/admin_secret.html", token=token, secret=secret), 200, NO_STORE


@blueprint.post("/admin/tokens/<int(max=2147483647):token_id>/revoke")
@requires(Action.ACCOUNTS_MANAGE)
def revoke_token(token_id: int):
    return apply_change(lambda: token_service.revoke_token(appliance().uow_factory, actor(), token_id, now()),
                        _tokens_page, gettext("Token %(id)d revoked.", id=token_id), "admin.api_tokens")


def _users_page(error: str | None = None) -> str:
    entered = {}
    if request.endpoint == "admin.add_user":
        entered = {name: request.form.get(name, "") for name in ADD_USER_FIELDS}
        entered["roles"] = request.form.getlist("role")
    uow_factory = appliance().uow_factory
    return render_template("console/admin_users.html", accounts=account_service.list_users(uow_factory),
                           addresses=account_service.mail_addresses(uow_factory), roles=list(Role),
                           clearances=clearance_labels(), now=now(), error=error, entered=entered,
                           open_user=(request.view_args or {}).get("username"))


def _tokens_page(error: str | None = None) -> str:
    uow_factory = appliance().uow_factory
    owners = [account for account in account_service.list_users(uow_factory) if not account.disabled]
    return render_template("console/admin_tokens.html", tokens=token_service.list_tokens(uow_factory),
                           owners=owners, actions=list(Action), now=now(), error=error,
                           entered=request.form if request.endpoint == "admin.issue_token" else {})


def _password_entered() -> tuple[str, bool]:
    """The password typed (not stripped: spaces may be part of it), or a generated one; and whether generated."""
    typed = request.form.get("password", "")
    if typed:
        return typed, False
    length = max(GENERATED_PASSWORD_LENGTH, appliance().password_policy.min_length)
    return random_password(length), True


def _scope_entered() -> AccessScope:
    """Clearance and department codes from the form; no codes means every department."""
    clearance = parse_clearance(form_text("clearance", 20))
    departments = parse_departments(DEPARTMENT_SEPARATORS.split(form_text("departments", 400)))
    return AccessScope(clearance, departments or None)


def _one_time_password(username: str, password: str):
    page = render_template("console/admin_secret.html", username=username, secret=password)
    return page, 200, NO_STORE
