"""The role × action matrix, tested as a table over every route: each role is let in exactly where MATRIX says."""

import pytest

from appliance.domain.accounts import Role
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.permissions import MATRIX, Action
from appliance.services.items import add_item
from tests.support.console import csrf_token, make_person, sign_in

CODE = "Z109-WS·2011-Y-BGS-0001"
SAMPLE_VALUES = {"code": CODE, "number": 1, "batch_id": "batch-1", "agent": "scanner-pc", "request_id": 1,
                 "token_id": 1, "username": "nobody", "fonds": "Z109", "filename": "x"}
NOT_GUARDED_BY_ACTION = {"public", "signed-in", "agent"}


@pytest.fixture
def database_url(tmp_path):
    """Permissions do not depend on the database (the services' tests run on both): SQLite only."""
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


def sample_value(rule, name: str):
    if name in SAMPLE_VALUES:
        return SAMPLE_VALUES[name]
    return 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "x"


def routes(app):
    """(rule, method, view) for every route but static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, app.view_functions[rule.endpoint]


def test_every_route_carries_a_guard(app):
    unguarded = [f"{method} {rule.rule}" for rule, method, view in routes(app)
                 if not hasattr(view, "required_action") and not rule.endpoint.startswith("auth.")]
    assert unguarded == []


def test_the_matrix_covers_every_action_a_route_asks_for(app):
    asked = {view.required_action for _, _, view in routes(app) if hasattr(view, "required_action")}
    assert asked - NOT_GUARDED_BY_ACTION <= set(Action)


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_each_role_is_let_in_exactly_where_the_matrix_says(app, client, appliance, actor, fonds, role):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="通知", date="20110315"))
    name = f"user-{role.value.replace('_', '-')}"
    secret = make_person(appliance, name, [role], with_totp=role.is_administrator)
    assert sign_in(client, name, totp_secret=secret).status_code == 302
    token = csrf_token(client, "/")
    wrong, checked = [], 0
    for rule, method, view in routes(app):
        action = getattr(view, "required_action", None)
        if action is None or action in NOT_GUARDED_BY_ACTION:
            continue
        path = rule.build({name: sample_value(rule, name) for name in rule.arguments})[1]
        response = client.open(path, method=method, data={"csrf_token": token} if method != "GET" else None,
                               headers={"X-CSRFToken": token})
        allowed, checked = action in MATRIX[role], checked + 1
        if (response.status_code == 403) == allowed or response.status_code in (401, 500):
            wrong.append(f"{method} {path} ({action}): {response.status_code}, expected "
                         f"{'allowed' if allowed else 'forbidden'}")
    assert wrong == [] and checked >= 15
