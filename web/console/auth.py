"""Signing in and out: password, second factor, the first-login password change, TOTP enrolment, language.

Until every step is done the person has no session, only a signed note in the cookie of what they have proven
(for ten minutes); the session starts, with a fresh token, when the last step passes.
"""

import datetime
from urllib.parse import urlsplit

import segno
from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, gettext
from flask_login import current_user, login_user, logout_user

from appliance.domain.accounts import LoginStatus
from appliance.domain.actors import Actor
from appliance.domain.errors import DanganError
from appliance.services import accounts as account_service
from appliance.services import second_factor as second_factor_service
from appliance.services.sessions import (
    LoginStep,
    end_session,
    next_login_step,
    principal_for,
    start_session,
    throttle_login,
)
from web.console.forms import CodeForm, EmptyForm, LoginForm, PasswordChangeForm
from web.i18n import LANGUAGE_KEY, LANGUAGES
from web.security import SignedInUser, appliance, current_principal, now, signed_in, source_address

blueprint = Blueprint("auth", __name__, template_folder="templates")

PENDING = "pending_login"
PENDING_LIFETIME = datetime.timedelta(minutes=10)
STEP_VIEWS = {
    LoginStep.PASSWORD: "auth.login",
    LoginStep.SECOND_FACTOR: "auth.second_factor",
    LoginStep.CHANGE_PASSWORD: "auth.change_password",
    LoginStep.ENROL_SECOND_FACTOR: "auth.enrol",
}


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET" and _pending() is not None:
        return _continue()  # a sign-in under way goes on where it stopped
    if not form.validate_on_submit():
        return render_template("console/login.html", form=form, error=None), 422 if form.is_submitted() else 200
    box = appliance()
    wait = throttle_login(box.uow_factory, source_address(), now(), box.throttle_policy)
    if wait is not None:
        error = gettext("Too many sign-in attempts from this address: wait %(minutes)d minutes.", minutes=wait // 60)
        return render_template("console/login.html", form=form, error=error), 429, {"Retry-After": str(wait)}
    outcome = account_service.authenticate(box.uow_factory, box.passwords, form.username.data, form.password.data,
                                           source_address(), now(), password_policy=box.password_policy,
                                           lockout_policy=box.lockout_policy)
    if not outcome.password_accepted:
        return render_template("console/login.html", form=form, error=_refusal(outcome)), 401
    language = session.get(LANGUAGE_KEY)
    session.clear()  # nothing from before this sign-in carries over (session fixation), but the language
    if language:
        session[LANGUAGE_KEY] = language
    session[PENDING] = {"user": outcome.account.username, "proven": [LoginStep.PASSWORD], "since": now().isoformat(),
                        "next": _safe_next(request.args.get("next"))}
    return _continue()


@blueprint.route("/login/code", methods=["GET", "POST"])
def second_factor():
    pending = _pending_at(LoginStep.SECOND_FACTOR)
    if pending is None:
        return _continue()
    form, error = CodeForm(), None
    if form.validate_on_submit():
        box = appliance()
        outcome = second_factor_service.check_second_factor(box.uow_factory, box.totp, box.sealer, pending["user"],
                                                    form.code.data, source_address(), now(), box.lockout_policy)
        if outcome.status is LoginStatus.OK:
            return _prove(pending, LoginStep.SECOND_FACTOR)
        if outcome.status is LoginStatus.LOCKED:
            session.pop(PENDING, None)
            return render_template("console/login.html", form=LoginForm(), error=_refusal(outcome)), 401
        error = gettext("The code is wrong or already used: type the code your authenticator shows now.")
    return render_template("console/second_factor.html", form=form, error=error), 401 if error else 200


@blueprint.route("/login/password", methods=["GET", "POST"])
def change_password():
    pending = _pending_at(LoginStep.CHANGE_PASSWORD)
    if pending is None:
        return _continue()
    form, error = PasswordChangeForm(), None
    if form.validate_on_submit():
        box = appliance()
        try:
            account_service.change_password(box.uow_factory, box.passwords, _actor(pending), pending["user"],
                                            form.current_password.data, form.new_password.data,
                                            policy=box.password_policy, now=now())
        except DanganError as refused:
            error = str(refused)
        else:
            return _continue()
    elif form.is_submitted():
        error = gettext("Fill in every field; the two new passwords must be the same.")
    policy = appliance().password_policy
    return render_template("console/change_password.html", form=form, error=error, policy=policy), \
        422 if error else 200


@blueprint.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    pending = _pending_at(LoginStep.ENROL_SECOND_FACTOR)
    if pending is None:
        return _continue()
    box, form, error = appliance(), CodeForm(), None
    if form.validate_on_submit():
        try:
            second_factor_service.confirm_totp(box.uow_factory, box.totp, box.sealer, _actor(pending), pending["user"],
                                       form.code.data, now())
        except DanganError:
            error = gettext("The code is wrong or already used: type the code your authenticator shows now.")
        else:
            return _prove(pending, LoginStep.SECOND_FACTOR)
    offer = second_factor_service.offer_totp(box.uow_factory, box.totp, box.sealer, _actor(pending), pending["user"])
    qr_code = segno.make(offer.uri, error="m").svg_inline(scale=5, dark="#1d232a")
    grouped = " ".join(offer.secret[i:i + 4] for i in range(0, len(offer.secret), 4))
    return render_template("console/enrol.html", form=CodeForm(formdata=None), error=error, qr_code=qr_code,
                           secret=grouped), 422 if error else 200


@blueprint.post("/logout")
@signed_in
def logout():
    if current_user.session_id is not None:
        end_session(appliance().uow_factory, current_user.session_id, current_principal().actor, now(), "signed out")
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.post("/language")
def choose_language():
    form = EmptyForm()
    language = request.form.get("language", "")
    if form.validate_on_submit() and language in LANGUAGES:
        session[LANGUAGE_KEY] = language
    return redirect(_safe_next(request.form.get("next")) or url_for("catalogue.index"))


def _continue():
    pending = _pending()
    if pending is None:
        return redirect(url_for("auth.login"))
    box = appliance()
    account = account_service.get_user(box.uow_factory, pending["user"])
    step = next_login_step(account, set(pending["proven"]), now(), box.password_policy)
    if step is not None:
        return redirect(url_for(STEP_VIEWS[step]))
    token = start_session(box.uow_factory, account, source_address(), now())
    session.pop(PENDING, None)
    login_user(SignedInUser(principal_for(account, source_address()), token))
    return redirect(pending.get("next") or url_for("catalogue.index"))


def _prove(pending: dict, step: str):
    pending["proven"] = sorted({*pending["proven"], step})
    session[PENDING] = pending
    return _continue()


def _pending_at(step: str) -> dict | None:
    """The sign-in under way if `step` is what it must do next; a step is never reached out of order."""
    pending = _pending()
    if pending is None:
        return None
    box = appliance()
    account = account_service.get_user(box.uow_factory, pending["user"])
    return pending if next_login_step(account, set(pending["proven"]), now(), box.password_policy) == step else None


def _pending() -> dict | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    since = datetime.datetime.fromisoformat(pending.get("since", "1970-01-01T00:00:00+00:00"))
    if now() - since > PENDING_LIFETIME:
        session.pop(PENDING, None)
        return None
    return pending


def _actor(pending: dict) -> Actor:
    return Actor(pending["user"], source_address())


def _refusal(outcome) -> str:
    if outcome.status is LoginStatus.LOCKED and outcome.locked_until is not None:
        return gettext("Too many failed sign-ins: this account is locked until %(time)s.",
                       time=format_datetime(outcome.locked_until, "short"))
    return gettext("Wrong user name or password.")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: a crafted link must not send people elsewhere after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
