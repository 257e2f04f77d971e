"""Administration pages: users, API tokens, the security policy and the catalogue settings, each for its role.

Each administrator signs in once per test: a second sign-in within the same 30-second step would replay the TOTP
code, which the appliance rightly refuses.
"""

import pytest

from appliance.adapters.tables import read_rows
from appliance.domain.accounts import LockoutPolicy
from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel, Scheme
from appliance.domain.permissions import MATRIX
from appliance.services import accounts
from appliance.services.audit import latest_events
from appliance.services.catalogue_import import import_catalogue
from appliance.services.fonds import list_categories, list_departments, list_fonds
from tests.support.catalogue_files import catalogue_rows, write_csv
from tests.support.console import PASSWORD, make_person, post_form, sign_in, signed_in_client

PAGES = {"/admin/users": "security-zhao", "/admin/tokens": "security-zhao", "/admin/policy": "security-zhao",
         "/admin/catalogue": "system-qian"}
NEW_PASSWORD = "Fresh-Start-77"
OFFICER = Actor("security-zhao", "192.0.2.1")


@pytest.fixture
def people(appliance):
    """The three administrators (with their required second factor) and an archivist: name → TOTP secret."""
    return {
        "security-zhao": make_person(appliance, "security-zhao", ["security_admin"], with_totp=True),
        "system-qian": make_person(appliance, "system-qian", ["system_admin"], with_totp=True),
        "audit-sun": make_person(appliance, "audit-sun", ["audit_admin"], with_totp=True),
        "archivist-li": make_person(appliance, "archivist-li", ["archivist"]),
    }



@pytest.fixture
def security(app, people):
    return signed_in_client(app, "security-zhao", people["security-zhao"])


@pytest.fixture
def system(app, people):
    return signed_in_client(app, "system-qian", people["system-qian"])


def actions_since(appliance, count: int) -> list[tuple[str, str, str]]:
    """The last `count` audit events as (actor, action, object), oldest first."""
    return [(event.actor, event.action, event.object_id) for event in
            reversed(latest_events(appliance.uow_factory, count))]


def audit_size(appliance) -> int:
    return latest_events(appliance.uow_factory, 1)[0].seq


def text(response) -> str:
    return response.get_data(as_text=True)


def user(appliance, username: str):
    return accounts.get_user(appliance.uow_factory, username)


def test_each_page_is_for_its_role_only(app, appliance, people):
    browsers = {name: signed_in_client(app, name, secret) for name, secret in people.items()}
    for path, owner in PAGES.items():
        for name, browser in browsers.items():
            assert browser.get(path).status_code == (200 if name == owner else 403), (path, name)
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.location
    before = audit_size(appliance)
    assert post_form(browsers["archivist-li"], "/admin/users/audit-sun/disable", {}).status_code == 403
    assert post_form(browsers["system-qian"], "/admin/users/audit-sun/roles", {"role": "reader"}).status_code == 403
    assert post_form(browsers["security-zhao"], "/admin/fonds", {"code": "Z109", "name": "某某市人民政府",
                                                                  "scheme": "year-retention"}).status_code == 403
    assert app.test_client().post("/admin/categories", data={"code": "WS", "name": "文书"}).status_code == 400
    assert not user(appliance, "audit-sun").disabled and list_fonds(appliance.uow_factory) == []
    assert audit_size(appliance) == before


def test_the_user_list_shows_roles_in_the_chosen_language_and_each_state(security, appliance):
    make_person(appliance, "reader-wu", ["reader"], clearance=AccessLabel.INTERNAL, departments=["BGS"], ready=False)
    accounts.disable(appliance.uow_factory, OFFICER, "archivist-li")
    rows = text(security.get("/admin/users")).split("<tr")
    reader = next(row for row in rows if ">reader-wu<" in row)
    assert "Reader" in reader and "Internal" in reader and "BGS" in reader and "Must change password" in reader
    assert "Disabled" in next(row for row in rows if ">archivist-li<" in row)
    assert "Second factor on" in next(row for row in rows if ">audit-sun<" in row)
    chinese = text(security.get("/admin/users", headers={"Accept-Language": "zh-CN"}))
    assert "安全保密管理员" in chinese and "利用者" in chinese and "Reader" not in chinese


def test_adding_a_user_escapes_the_display_name_and_forces_a_password_change(app, security, appliance):
    response = post_form(security, "/admin/users", {
        "username": "Clerk-Zhou", "display_name": "<script>alert(1)</script>周", "password": NEW_PASSWORD,
        "role": ["archivist", "approver"], "clearance": "内部", "departments": "bgs, RSC"})
    assert response.status_code == 302 and response.location.endswith("/admin/users")
    page = text(security.get("/admin/users"))
    assert "User clerk-zhou added" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;周" in page and "<script>alert" not in page
    added = user(appliance, "clerk-zhou")
    assert added.roles == {"archivist", "approver"} and added.must_change_password
    assert added.clearance is AccessLabel.INTERNAL and added.departments == {"BGS", "RSC"}
    assert actions_since(appliance, 1) == [("security-zhao", "account.create", "clerk-zhou")]
    first = sign_in(app.test_client(), "clerk-zhou", NEW_PASSWORD)
    assert first.status_code == 302 and first.location.endswith("/login/password")


def test_a_generated_password_is_shown_once_and_a_refused_user_keeps_what_was_typed(app, security, appliance):
    response = post_form(security, "/admin/users", {"username": "clerk-wu", "role": "reader", "clearance": "公开"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = text(response).split('id="secret">')[1].split("<")[0]
    assert len(password) >= 16
    assert password not in text(security.get("/admin/users"))
    assert sign_in(app.test_client(), "clerk-wu", password).location.endswith("/login/password")
    taken = post_form(security, "/admin/users", {"username": "clerk-wu", "display_name": "吴二", "role": "reader",
                                                 "clearance": "公开"})
    assert taken.status_code == 409 and "already exists" in text(taken) and 'value="吴二"' in text(taken)
    weak = post_form(security, "/admin/users", {"username": "clerk-ma", "password": "short", "role": "reader",
                                                "clearance": "公开"})
    assert weak.status_code == 422 and "shorter than 8 characters" in text(weak)


def test_roles_follow_the_separation_of_duties(security, appliance):
    refused = post_form(security, "/admin/users/archivist-li/roles", {"role": ["archivist", "security_admin"]})
    assert refused.status_code == 422 and "三员分立" in text(refused) and "Refused:" in text(refused)
    assert 'name="role" value="archivist" checked' in text(refused)  # the form shows the roles still held
    assert user(appliance, "archivist-li").roles == {"archivist"}
    changed = post_form(security, "/admin/users/archivist-li/roles", {"role": ["archivist", "approver"]})
    assert changed.status_code == 302
    assert user(appliance, "archivist-li").roles == {"archivist", "approver"}
    assert actions_since(appliance, 1) == [("security-zhao", "account.roles", "archivist-li")]
    assert post_form(security, "/admin/users/nobody/roles", {"role": "reader"}).status_code == 404


def test_scope_sets_clearance_and_departments(security, appliance):
    response = post_form(security, "/admin/users/archivist-li/scope", {"clearance": "内部", "departments": "bgs rsc"})
    assert response.status_code == 302
    assert user(appliance, "archivist-li").scope.departments == {"BGS", "RSC"}
    assert user(appliance, "archivist-li").clearance is AccessLabel.INTERNAL
    assert post_form(security, "/admin/users/archivist-li/scope", {"clearance": "受控"}).status_code == 302
    assert user(appliance, "archivist-li").departments is None
    assert [event[1] for event in actions_since(appliance, 2)] == ["account.scope", "account.scope"]
    bad = post_form(security, "/admin/users/archivist-li/scope", {"clearance": "内部", "departments": "B1"})
    assert bad.status_code == 422 and "must be 3 capital letters or digits" in text(bad)
    secret = post_form(security, "/admin/users/archivist-li/scope", {"clearance": "机密"})
    assert secret.status_code == 422 and "classified" in text(secret)


def test_unlock_lifts_a_lockout(app, security, appliance):
    appliance.lockout_policy = LockoutPolicy(max_failures=2, lock_minutes=15)
    for _attempt in range(2):
        sign_in(app.test_client(), "archivist-li", "wrong password")
    assert "Locked until" in next(row for row in text(security.get("/admin/users")).split("<tr")
                                  if ">archivist-li<" in row)
    assert post_form(security, "/admin/users/archivist-li/unlock", {}).status_code == 302
    assert actions_since(appliance, 1) == [("security-zhao", "account.unlock", "archivist-li")]
    assert "/login" not in sign_in(app.test_client(), "archivist-li").location


def test_disabling_ends_the_users_session(app, security, appliance):
    victim = signed_in_client(app, "archivist-li")
    assert victim.get("/").status_code == 200
    response = post_form(security, "/admin/users/archivist-li/disable", {})
    assert response.status_code == 302 and "archivist-li is disabled" in text(security.get("/admin/users"))
    ended = victim.get("/")
    assert ended.status_code == 302 and "/login" in ended.location
    assert ("security-zhao", "account.disable", "archivist-li") in actions_since(appliance, 3)
    again = post_form(security, "/admin/users/archivist-li/disable", {})
    assert again.status_code == 409 and "already disabled" in text(again)


def test_a_reset_password_must_be_changed_at_the_next_sign_in(app, security, appliance):
    victim = signed_in_client(app, "archivist-li")
    response = post_form(security, "/admin/users/archivist-li/password", {"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert ("security-zhao", "password.reset", "archivist-li") in actions_since(appliance, 2)
    assert victim.get("/").status_code == 302  # signed out: the old password's session is over
    assert sign_in(app.test_client(), "archivist-li", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "archivist-li", NEW_PASSWORD).location.endswith("/login/password")
    generated = post_form(security, "/admin/users/archivist-li/password", {"password": ""})
    assert generated.status_code == 200 and 'id="secret"' in text(generated)


def test_reset_totp_removes_the_second_factor(security, appliance):
    assert user(appliance, "audit-sun").totp_enabled
    assert post_form(security, "/admin/users/audit-sun/totp", {}).status_code == 302
    assert not user(appliance, "audit-sun").totp_enabled
    assert actions_since(appliance, 1) == [("security-zhao", "totp.reset", "audit-sun")]
    again = post_form(security, "/admin/users/audit-sun/totp", {})
    assert again.status_code == 409 and "no second factor" in text(again)


def test_a_token_is_shown_once_works_as_bearer_and_stops_when_revoked(app, security, appliance):
    make_person(appliance, "operator-he", ["operator"])
    issued = post_form(security, "/admin/tokens", {"owner": "operator-he", "name": "scan station 1",
                                                   "scope": "scanners.view", "valid_days": "30"})
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    secret = text(issued).split('id="secret">')[1].split("<")[0]
    assert secret.startswith("dgn_")
    listing = text(security.get("/admin/tokens"))
    assert secret not in listing and f"dgn_{secret[4:12]}" in listing and "scan station 1" in listing
    machine = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert machine.get("/api/v1/scanners", headers=bearer).status_code == 200
    token_id = actions_since(appliance, 1)[0][2]
    assert actions_since(appliance, 1) == [("security-zhao", "token.issue", token_id)]
    assert post_form(security, f"/admin/tokens/{token_id}/revoke", {}).status_code == 302
    assert machine.get("/api/v1/scanners", headers=bearer).status_code == 401
    assert actions_since(appliance, 1) == [("security-zhao", "token.revoke", token_id)]
    twice = post_form(security, f"/admin/tokens/{token_id}/revoke", {})
    assert twice.status_code == 409 and "already revoked" in text(twice)


def test_a_token_never_does_more_than_its_owner(security):
    beyond = post_form(security, "/admin/tokens", {"owner": "archivist-li", "name": "x", "scope": "accounts.manage"})
    assert beyond.status_code == 422 and "never does more than its owner" in text(beyond)
    assert 'value="accounts.manage" checked' in text(beyond)
    days = post_form(security, "/admin/tokens", {"owner": "archivist-li", "name": "x", "scope": "item.read",
                                                 "valid_days": "forever"})
    assert days.status_code == 422 and "valid_days must be a whole number" in text(days)


def test_a_forged_form_changes_nothing(security, appliance):
    before = audit_size(appliance)
    forged = security.post("/admin/users", data={"username": "intruder", "password": NEW_PASSWORD,
                                                 "role": "archivist", "clearance": "受控"})
    assert forged.status_code == 400
    assert security.post("/admin/users/archivist-li/disable").status_code == 400
    assert security.post("/admin/users/archivist-li/roles", data={"role": "reader", "csrf_token": "x"}).status_code \
        == 400
    assert [account.username for account in accounts.list_users(appliance.uow_factory)] == \
        ["archivist-li", "audit-sun", "security-zhao", "system-qian"]
    assert not user(appliance, "archivist-li").disabled and audit_size(appliance) == before


def test_the_policy_page_shows_what_is_in_force_and_where_it_is_set(security, appliance):
    appliance.lockout_policy = LockoutPolicy(max_failures=7, lock_minutes=30)
    page = text(security.get("/admin/policy"))
    assert "accounts.lockout_failures" in page and 'class="number">7</td>' in page
    assert "web.idle_minutes" in page and "accounts.password_min_length" in page
    matrix = page.split('class="matrix"')[1]
    assert "Security administrator" in matrix and "<code>accounts.manage</code>" in matrix
    assert matrix.count("✓") == sum(len(actions) for actions in MATRIX.values())


def test_fonds_departments_and_categories_are_added_with_clear_errors(system, appliance):
    added = post_form(system, "/admin/fonds", {"code": "z109", "name": "某某市人民政府", "scheme": "year-retention"})
    assert added.status_code == 302 and "Fonds Z109 added" in text(system.get("/admin/catalogue"))
    assert post_form(system, "/admin/fonds/Z109/scheme", {"scheme": "year-department-retention"}).status_code == 302
    assert list_fonds(appliance.uow_factory)[0].scheme is Scheme.YEAR_DEPARTMENT_RETENTION
    assert post_form(system, "/admin/fonds/Z109/departments", {"code": "bgs", "name": "办公室"}).status_code == 302
    assert post_form(system, "/admin/categories", {"code": "kj", "name": "会计"}).status_code == 302
    assert list_departments(appliance.uow_factory, "Z109") == {"BGS": "办公室"}
    assert list_categories(appliance.uow_factory)["KJ"] == "会计"
    assert actions_since(appliance, 4) == [
        ("system-qian", "fonds.create", "Z109"), ("system-qian", "fonds.scheme", "Z109"),
        ("system-qian", "department.create", "Z109/BGS"), ("system-qian", "category.create", "KJ")]
    bad = post_form(system, "/admin/fonds", {"code": "Z1", "name": "坏", "scheme": "year-retention"})
    assert bad.status_code == 422 and "must be 4 capital letters or digits" in text(bad) and 'value="Z1"' in text(bad)
    assert post_form(system, "/admin/fonds/Z109/departments", {"code": "BGS", "name": "又一个"}).status_code == 409
    assert post_form(system, "/admin/fonds/Q999/departments", {"code": "RSC", "name": "人事处"}).status_code == 404
    assert post_form(system, "/admin/categories", {"code": "W5", "name": "x"}).status_code == 422
    assert post_form(system, "/admin/categories", {"code": "WS", "name": "文书"}).status_code == 409
    assert post_form(system, "/admin/fonds/Z109/scheme", {"scheme": "by-colour"}).status_code == 422


def test_a_fonds_that_holds_items_keeps_its_scheme(system, appliance, actor, fonds, tmp_path):
    path = write_csv(tmp_path / "catalogue.csv", catalogue_rows(1))
    import_catalogue(appliance.uow_factory, appliance.blob_store, actor, path, read_rows(path))
    refused = post_form(system, "/admin/fonds/Z109/scheme", {"scheme": "year-retention"})
    assert refused.status_code == 409 and "already holds items" in text(refused)
    assert list_fonds(appliance.uow_factory)[0].scheme is Scheme.YEAR_DEPARTMENT_RETENTION
