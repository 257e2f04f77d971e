"""API bearer tokens over the Flask client: scopes, revocation, expiry, disabled owners, digests only, CSRF."""

import datetime

import pytest
from sqlalchemy import text

from appliance.services import accounts
from appliance.services.api_tokens import issue_token, revoke_token
from appliance.services.audit import history
from tests.support.console import SECURITY_OFFICER, make_person, sign_in

SCAN = {"agent": "scanner-pc", "device": "test:0"}


@pytest.fixture
def archivist(appliance):
    make_person(appliance, "wang", ["archivist"])
    return "wang"


def token_for(appliance, scopes, username="wang", **options) -> tuple[int, str]:
    """Issue a token; returns its id and its secret."""
    moment = options.pop("now", datetime.datetime.now(datetime.UTC))
    token, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, username, "scanner-box", scopes, moment,
                                **options)
    return token.id, secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_works_on_an_endpoint_its_scope_allows(client, appliance, archivist):
    _, secret = token_for(appliance, ["item.read", "scanners.view"])
    response = client.get("/api/v1/scanners", headers=bearer(secret))
    assert response.status_code == 200 and response.get_json() == {"agents": []}
    assert client.get("/api/v1/scanners").status_code == 401  # the token, not something else, let it in


def test_a_token_without_the_scope_is_forbidden_as_json(client, appliance, archivist):
    _, secret = token_for(appliance, ["item.read"])
    for path, action in (("/api/v1/scanners", "scanners.view"), ("/api/v1/intake", "intake.view")):
        response = client.get(path, headers={**bearer(secret), "Accept-Language": "en"})
        assert response.status_code == 403
        assert response.get_json() == {"error": "forbidden", "message": f"wang may not {action}"}


@pytest.mark.parametrize("presented", ["dgn_not-a-token-at-all", "Bearer", ""])
def test_an_unknown_token_is_unauthorised(client, presented):
    response = client.get("/api/v1/intake", headers={"Authorization": f"Bearer {presented}"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorised"


def test_a_revoked_token_is_unauthorised(client, appliance, archivist):
    token_id, secret = token_for(appliance, ["intake.view"])
    assert client.get("/api/v1/intake", headers=bearer(secret)).status_code == 200
    revoke_token(appliance.uow_factory, SECURITY_OFFICER, token_id, datetime.datetime.now(datetime.UTC))
    response = client.get("/api/v1/intake", headers=bearer(secret))
    assert response.status_code == 401 and set(response.get_json()) == {"error", "message"}


def test_an_expired_token_is_unauthorised(client, appliance, archivist):
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)
    _, expired = token_for(appliance, ["intake.view"], now=long_ago, valid_days=2)
    _, current = token_for(appliance, ["intake.view"], now=long_ago, valid_days=4)
    assert client.get("/api/v1/intake", headers=bearer(expired)).status_code == 401
    assert client.get("/api/v1/intake", headers=bearer(current)).status_code == 200


def test_the_token_of_a_disabled_user_is_unauthorised(client, appliance, archivist):
    _, secret = token_for(appliance, ["intake.view"])
    accounts.disable(appliance.uow_factory, SECURITY_OFFICER, "wang")
    assert client.get("/api/v1/intake", headers=bearer(secret)).status_code == 401


def test_only_a_digest_of_the_secret_is_stored(appliance, archivist):
    token_id, secret = token_for(appliance, ["item.read"])
    body = secret.removeprefix("dgn_")
    with appliance.engine.connect() as connection:
        stored = [str(value) for row in connection.execute(text("SELECT * FROM api_tokens")) for value in row]
        audit = [str(value) for row in connection.execute(text("SELECT * FROM audit_events")) for value in row]
    assert len(stored) > 0 and any(str(token_id) == value for value in stored)
    assert not any(body in value or body[8:20] in value for value in stored + audit)


def test_a_bearer_post_needs_no_csrf_token_but_a_cookie_post_does(app, client, appliance, archivist):
    _, secret = token_for(appliance, ["scan.start"])
    machine = app.test_client()
    created = machine.post("/api/v1/scans", headers=bearer(secret), json=SCAN)
    assert created.status_code == 201 and created.get_json()["device"] == "test:0"
    [event] = history(appliance.uow_factory, "scan-request", str(created.get_json()["id"]))
    assert event.actor == "wang"  # the token acts for its owner
    assert sign_in(client, "wang").status_code == 302
    forged = client.post("/api/v1/scans", json=SCAN)
    assert forged.status_code == 400 and forged.get_json()["error"] == "csrf"
    assert app.test_client().post("/api/v1/scans", json=SCAN).status_code == 401



def test_a_token_works_beside_an_anonymous_console_cookie(client, appliance, archivist):
    _, secret = token_for(appliance, ["intake.view"])
    client.get("/login")  # the console's form put a CSRF token in the cookie
    assert client.get("/api/v1/intake", headers=bearer(secret)).status_code == 200

