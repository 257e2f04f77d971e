"""Console test helpers: people with roles and scopes, and signing them in through the real forms."""

import datetime
import re

from argon2 import PasswordHasher

from appliance.adapters.passwords import Argon2Passwords
from appliance.adapters.second_factor import TotpCodes
from appliance.domain.access import AccessScope
from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel
from appliance.domain.permissions import MATRIX
from appliance.services import accounts, second_factor
from appliance.services.api_tokens import issue_token

PASSWORD = "Archive-2026!"
INITIAL_PASSWORD = "Initial-Pass-1"
SECURITY_OFFICER = Actor("security-admin", "192.0.2.1")
# Real argon2id with the cost turned down: the tests sign in hundreds of times.
FAST_PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def make_person(appliance, username: str, roles, *, clearance: AccessLabel = AccessLabel.RESTRICTED,
                departments=None, with_totp: bool = False, ready: bool = True) -> str | None:
    """A user with roles and scope; `ready` sets the own password (no first-login change); returns the TOTP secret."""
    box = appliance
    accounts.add_user(box.uow_factory, box.passwords, SECURITY_OFFICER, username, INITIAL_PASSWORD, roles,
                      scope=AccessScope(AccessLabel(clearance), departments and frozenset(departments)),
                      policy=box.password_policy)
    if ready:
        accounts.change_password(box.uow_factory, box.passwords, Actor(username), username, INITIAL_PASSWORD,
                                 PASSWORD, policy=box.password_policy)
    if not with_totp:
        return None
    offer = second_factor.offer_totp(box.uow_factory, box.totp, box.sealer, Actor(username), username)
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=60)
    second_factor.confirm_totp(box.uow_factory, box.totp, box.sealer, Actor(username), username,
                               TotpCodes().code_at(offer.secret, earlier), earlier)
    return offer.secret


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)  # a sign-in under way leads on to its step
    found = CSRF_FIELD.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD, totp_secret: str | None = None):
    """Sign in through the forms; returns the last response (a redirect into the console when all went well)."""
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    if totp_secret and response.status_code == 302 and response.location.endswith("/login/code"):
        code = TotpCodes().code_at(totp_secret, datetime.datetime.now(datetime.UTC))
        response = client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})
    return response


def post_form(client, path: str, data: dict, form_page: str | None = None):
    """POST a console form with a CSRF token taken from a page of the console."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page or "/")})


def api_token_for(appliance, username: str, role: str) -> dict:
    """A person with `role` and the headers of an API token carrying all of the role's actions."""
    make_person(appliance, username, [role])
    scopes = [action.value for action in MATRIX[role]]
    _, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, username, f"{username} machine", scopes,
                            datetime.datetime.now(datetime.UTC))
    return {"Authorization": f"Bearer {secret}"}


def signed_in_client(app, username: str, totp_secret: str | None = None):
    """A browser of its own, signed in as `username`, asking for English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = sign_in(client, username, totp_secret=totp_secret)
    assert response.status_code == 302 and "/login" not in response.location, response.location
    return client
