"""Who is asking: console sessions (Flask-Login over server-side sessions), API tokens, CSRF, the guard on views.

A console cookie carries a session token that the database can end; an API request carries `Authorization:
Bearer dgn_...`. Either way the view sees a Principal, and `requires(action)` lets it through or refuses it
(401 when nobody is signed in, 403 when the signed-in principal may not).
"""

import datetime
from functools import wraps

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.services.api_tokens import TOKEN_PREFIX, resolve_token
from appliance.services.sessions import resume_session
from web.errors import error_response

BACKGROUND_ENDPOINTS = {"scanners_console.events"}  # live updates a page asks for, not a person: not activity
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.session_protection = "strong"  # a cookie replayed from another address or browser is dropped


class SignedInUser(UserMixin):
    """Flask-Login's user: the principal and the token of its server-side session (what get_id returns)."""

    def __init__(self, principal: Principal, token: str, session_id: int | None = None):
        self.principal = principal
        self.token = token
        self.session_id = session_id

    def get_id(self) -> str:
        return self.token


def appliance():
    return current_app.extensions["dangan"]


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def source_address() -> str:
    return (request.remote_addr or "unknown")[:64]


@login_manager.user_loader
def _load_session(token: str) -> SignedInUser | None:
    box = appliance()
    activity = request.endpoint not in BACKGROUND_ENDPOINTS
    resumed = resume_session(box.uow_factory, token, source_address(), now(), box.session_policy, activity)
    return None if resumed is None else SignedInUser(resumed.principal, token, resumed.session.id)


def _token_first() -> None:
    """A request with an API token acts for the token alone, whatever cookie it also carries.

    Flask-Login would look at the cookie session first (and, in strong protection, give up on a cookie of an
    anonymous visit); setting the user here for every bearer request makes the token decide.
    """
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented.startswith(TOKEN_PREFIX):
        return
    principal = resolve_token(appliance().uow_factory, presented, source_address(), now())
    g._login_user = login_manager.anonymous_user() if principal is None else SignedInUser(principal, "")


@login_manager.unauthorized_handler
def _unauthorised():
    if request.path.startswith("/api/"):
        return error_response("unauthorised", "sign in or present an API token", 401)
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def current_principal() -> Principal | None:
    return current_user.principal if current_user.is_authenticated else None


def requires(action: Action):
    """Guard a view: a principal must be signed in and allowed `action`; it is in `g.principal` for the view."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = current_principal()
            if principal is None or not _fits_the_path(principal):
                return login_manager.unauthorized()
            principal.require(action)
            g.principal = principal
            return view(*args, **kwargs)

        guarded.required_action = action  # the route table test reads this
        return guarded

    return decorate


def requires_content(view):
    """Guard a view of records' content: readers of the catalogue get through, and the service lets in those whose
    roles allow viewing content or who hold a viewing grant from an approved borrowing (403 otherwise)."""
    guarded = requires(Action.ITEM_READ)(view)
    guarded.required_action = Action.ITEM_VIEW_CONTENT  # what the matrix documents; a grant adds it per item
    return guarded


def _fits_the_path(principal: Principal) -> bool:
    """API tokens are for the API: the console is for people, who signed in with every factor."""
    return principal.via != "token" or request.path.startswith("/api/")


def signed_in(view):
    """Guard a view any signed-in person may use (their own settings, sign-out)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        principal = current_principal()
        if principal is None or not _fits_the_path(principal):
            return login_manager.unauthorized()
        g.principal = principal
        return view(*args, **kwargs)

    guarded.required_action = "signed-in"
    return guarded


def _check_csrf() -> None:
    """Every unsafe request of a browser carries the CSRF token.

    A forged request rides on the victim's session; an API call without one has nothing to ride on (it is a
    machine with a bearer token, or nobody, and meets 401), so API calls are checked only when a session is
    signed in. Console forms are always checked, the sign-in form too (no login CSRF).
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.path.startswith("/api/"):
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return
        if not current_user.is_authenticated:
            return
    csrf.protect()


def init_security(app: Flask) -> None:
    config = appliance().config
    app.config.update(
        SESSION_COOKIE_NAME="dangan_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(hours=config.web.session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; sessions end on their own clock
        REMEMBER_COOKIE_DURATION=datetime.timedelta(0),
        REMEMBER_COOKIE_SECURE=config.web.secure_cookies,
    )
    app.before_request(_token_first)  # before the CSRF check, which asks who is signed in
    csrf.init_app(app)
    login_manager.init_app(app)
    app.jinja_env.globals["Action"] = Action
    app.before_request(_check_csrf)
