import datetime

import pytest

from appliance.domain.accounts import WRONG_CREDENTIALS, LoginStatus, PasswordPolicy, Role
from appliance.domain.actors import Actor
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.services import accounts
from appliance.services.audit import history, verify_audit_chain

SECURITY = Actor("cli:security", "local")
START = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
INITIAL = "Initial-2026"
CHOSEN = "Chosen#Pass1"


@pytest.fixture
def wang(appliance):
    """Archivist wang, who has already replaced the initial password with CHOSEN."""
    accounts.add_user(appliance.uow_factory, appliance.passwords, SECURITY, "Wang", INITIAL, ["archivist", "reader"],
                      "王小明", now=START)
    accounts.change_password(appliance.uow_factory, appliance.passwords, Actor("wang", "192.0.2.7"), "wang",
                             INITIAL, CHOSEN, now=START)
    return "wang"


def login(appliance, password, at=START, username="wang"):
    return accounts.authenticate(appliance.uow_factory, appliance.passwords, username, password, "192.0.2.7", at)


def actions(appliance, username="wang"):
    return [event.action for event in history(appliance.uow_factory, "user", username)]


def test_a_new_user_must_change_the_initial_password(appliance):
    account = accounts.add_user(appliance.uow_factory, appliance.passwords, SECURITY, "li.na", INITIAL,
                                [Role.SECURITY_ADMIN], now=START)
    assert (account.username, account.display_name, account.roles) == ("li.na", "li.na", {Role.SECURITY_ADMIN})
    assert account.password_hash.startswith("$argon2id$") and INITIAL not in account.password_hash
    outcome = login(appliance, INITIAL, username="LI.NA")
    assert outcome.status is LoginStatus.MUST_CHANGE_PASSWORD and outcome.account.username == "li.na"
    accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY, "li.na", INITIAL, CHOSEN)
    assert login(appliance, CHOSEN, username="li.na").status is LoginStatus.OK
    assert actions(appliance, "li.na") == ["account.create", "login.success", "password.change", "login.success"]


def test_add_user_refuses_bad_input_and_duplicates(appliance, wang):
    uow_factory, passwords = appliance.uow_factory, appliance.passwords
    with pytest.raises(ConflictError, match="user wang already exists"):
        accounts.add_user(uow_factory, passwords, SECURITY, "WANG", INITIAL, ["reader"])
    with pytest.raises(InvalidInputError, match="contains the user name"):
        accounts.add_user(uow_factory, passwords, SECURITY, "zhao", "Zhao-12345", ["reader"])
    with pytest.raises(InvalidInputError, match="三员分立"):
        accounts.add_user(uow_factory, passwords, SECURITY, "zhao", INITIAL, ["audit_admin", "reader"])
    assert [account.username for account in accounts.list_users(uow_factory)] == ["wang"]


def test_unknown_user_and_wrong_password_look_the_same_but_are_audited_apart(appliance, wang):
    unknown = login(appliance, CHOSEN, username="nobody")
    wrong = login(appliance, "Wrong-Pass1")
    assert unknown.status is wrong.status is LoginStatus.WRONG
    assert unknown.message == wrong.message == WRONG_CREDENTIALS
    assert unknown.account is wrong.account is None
    reasons = {event.object_id: event.details["reason"]
               for event in history(appliance.uow_factory, "user", "nobody") + history(appliance.uow_factory, "user",
                                                                                       "wang")
               if event.action == "login.failure"}
    assert reasons == {"nobody": "unknown user", "wang": "wrong password"}
    failure = history(appliance.uow_factory, "user", "wang")[-1]
    assert (failure.result, failure.source, failure.details["failures"]) == ("failure", "192.0.2.7", 1)


def test_five_failures_lock_for_15_minutes_then_the_lock_runs_out(appliance, wang):
    for attempt in range(4):
        assert login(appliance, f"Wrong-{attempt}", START).status is LoginStatus.WRONG
    fifth = login(appliance, "Wrong-4", START)
    assert fifth.status is LoginStatus.LOCKED and fifth.locked_until == START + datetime.timedelta(minutes=15)
    during = login(appliance, CHOSEN, START + datetime.timedelta(minutes=14))
    assert during.status is LoginStatus.LOCKED and during.account is None  # even the right password waits
    assert login(appliance, CHOSEN, START + datetime.timedelta(minutes=15)).status is LoginStatus.OK
    assert actions(appliance)[-4:] == ["login.failure", "account.lock", "login.failure", "login.success"]
    assert accounts.get_user(appliance.uow_factory, "wang").lockout.failures == 0


def test_an_administrator_unlocks_early(appliance, wang):
    for attempt in range(5):
        login(appliance, f"Wrong-{attempt}")
    accounts.unlock(appliance.uow_factory, SECURITY, "wang")
    assert login(appliance, CHOSEN, START + datetime.timedelta(minutes=1)).status is LoginStatus.OK
    unlock_event = next(event for event in history(appliance.uow_factory, "user", "wang")
                        if event.action == "account.unlock")
    assert unlock_event.actor == "cli:security"
    assert unlock_event.details["locked_until"].startswith("2026-12-04T09:15:00")


def test_a_disabled_account_cannot_sign_in(appliance, wang):
    accounts.disable(appliance.uow_factory, SECURITY, "wang")
    outcome = login(appliance, CHOSEN)
    assert (outcome.status, outcome.message) == (LoginStatus.WRONG, WRONG_CREDENTIALS)
    assert history(appliance.uow_factory, "user", "wang")[-1].details["reason"] == "account disabled"
    with pytest.raises(ConflictError, match="already disabled"):
        accounts.disable(appliance.uow_factory, SECURITY, "wang")


@pytest.mark.slow  # about 40 argon2 hashes: 6 s on a busy 2-core box
def test_history_refuses_the_last_five_passwords(appliance, wang):
    policy = PasswordPolicy()
    used = [CHOSEN] + [f"Rotated#{number}x" for number in range(1, 5)]
    for old, new in zip(used, used[1:], strict=False):
        accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY, "wang", old, new, policy=policy)
    for recent in used:
        with pytest.raises(InvalidInputError, match="one of the last 5 passwords"):
            accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY, "wang", used[-1], recent)
    # INITIAL was six passwords ago: allowed again.
    accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY, "wang", used[-1], INITIAL)
    assert login(appliance, INITIAL).status is LoginStatus.OK


def test_a_wrong_current_password_is_refused_and_audited(appliance, wang):
    with pytest.raises(ForbiddenError, match="current password is wrong"):
        accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY, "wang", "Guess-1234",
                                 "Another#Pass9")
    event = history(appliance.uow_factory, "user", "wang")[-1]
    assert (event.action, event.result) == ("password.change", "failure")
    assert login(appliance, CHOSEN).status is LoginStatus.OK


def test_a_password_expires_after_90_days_and_a_change_resets_it(appliance, wang):
    later = START + datetime.timedelta(days=90)
    assert login(appliance, CHOSEN, START + datetime.timedelta(days=89)).status is LoginStatus.OK
    assert login(appliance, CHOSEN, later).status is LoginStatus.EXPIRED
    accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY, "wang", CHOSEN, "Fresh#Pass2",
                             now=later)
    assert login(appliance, "Fresh#Pass2", later + datetime.timedelta(days=89)).status is LoginStatus.OK


def test_a_reset_password_must_be_changed_at_next_login(appliance, wang):
    accounts.reset_password(appliance.uow_factory, appliance.passwords, SECURITY, "wang", "Reset#Pass3")
    assert login(appliance, "Reset#Pass3").status is LoginStatus.MUST_CHANGE_PASSWORD
    assert login(appliance, CHOSEN).status is LoginStatus.WRONG
    assert "password.reset" in actions(appliance)


def test_roles_follow_separation_of_duties(appliance, wang):
    account = accounts.set_roles(appliance.uow_factory, SECURITY, "wang", ["approver"])
    assert account.roles == {Role.APPROVER}
    with pytest.raises(InvalidInputError, match="三员分立"):
        accounts.set_roles(appliance.uow_factory, SECURITY, "wang", ["system_admin", "security_admin"])
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        accounts.set_roles(appliance.uow_factory, SECURITY, "nobody", ["reader"])
    event = history(appliance.uow_factory, "user", "wang")[-1]
    assert (event.action, event.details) == ("account.roles", {"from": ["archivist", "reader"], "to": ["approver"]})
    assert accounts.get_user(appliance.uow_factory, "wang").roles == {Role.APPROVER}


def test_every_account_event_is_on_the_chain(appliance, wang):
    login(appliance, "Wrong-Pass1")
    login(appliance, CHOSEN)
    report = verify_audit_chain(appliance.uow_factory)
    assert report.ok and report.events_checked == 4
    assert actions(appliance) == ["account.create", "password.change", "login.failure", "login.success"]
