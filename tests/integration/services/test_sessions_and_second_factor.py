"""Sessions, the login throttle, the second factor and API tokens, through the services on both databases."""

import datetime

import pytest
from sqlalchemy import text

from appliance.adapters.second_factor import SealError, SecretSealer, TotpCodes
from appliance.domain.access import AccessScope
from appliance.domain.accounts import LoginStatus, PasswordPolicy, Role
from appliance.domain.actors import Actor
from appliance.domain.catalogue import AccessLabel
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.permissions import Action
from appliance.domain.sessions import SessionPolicy
from appliance.services import accounts
from appliance.services.api_tokens import issue_token, resolve_token
from appliance.services.audit import history
from appliance.services.second_factor import check_second_factor, confirm_totp, offer_totp, reset_totp
from appliance.services.sessions import (
    LoginStep,
    ThrottlePolicy,
    next_login_step,
    resume_session,
    start_session,
    throttle_login,
    token_digest,
)
from tests.support.console import FAST_PASSWORDS, INITIAL_PASSWORD, PASSWORD, SECURITY_OFFICER

START = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)
SOURCE = "192.0.2.20"
CODES = TotpCodes()


@pytest.fixture
def appliance(appliance):
    appliance.passwords = FAST_PASSWORDS
    return appliance


def person(appliance, username: str, roles, ready: bool = True):
    accounts.add_user(appliance.uow_factory, appliance.passwords, SECURITY_OFFICER, username, INITIAL_PASSWORD, roles,
                      now=START)
    if ready:
        accounts.change_password(appliance.uow_factory, appliance.passwords, Actor(username), username,
                                 INITIAL_PASSWORD, PASSWORD, now=START)
    return accounts.get_user(appliance.uow_factory, username)


def enrol(appliance, username: str, at: datetime.datetime = START) -> str:
    offer = offer_totp(appliance.uow_factory, appliance.totp, appliance.sealer, Actor(username), username)
    confirm_totp(appliance.uow_factory, appliance.totp, appliance.sealer, Actor(username), username,
                 CODES.code_at(offer.secret, at), at)
    return offer.secret


def steps(appliance, username: str, proven_in_order, now=START, policy=PasswordPolicy()) -> list:
    """The step asked for after each proof, as a sign-in would go."""
    proven, asked = set(), []
    for proof in [None, *proven_in_order]:
        proven |= {proof} if proof else set()
        asked.append(next_login_step(accounts.get_user(appliance.uow_factory, username), proven, now, policy))
    return asked


def test_next_login_step_order(appliance):
    person(appliance, "sysadmin", [Role.SYSTEM_ADMIN], ready=False)
    assert steps(appliance, "sysadmin", [LoginStep.PASSWORD]) == [LoginStep.PASSWORD, LoginStep.CHANGE_PASSWORD]
    accounts.change_password(appliance.uow_factory, appliance.passwords, SECURITY_OFFICER, "sysadmin",
                             INITIAL_PASSWORD, PASSWORD, now=START)
    assert steps(appliance, "sysadmin", [LoginStep.PASSWORD]) == [LoginStep.PASSWORD, LoginStep.ENROL_SECOND_FACTOR]
    enrol(appliance, "sysadmin")
    assert steps(appliance, "sysadmin", [LoginStep.PASSWORD, LoginStep.SECOND_FACTOR]) == \
        [LoginStep.PASSWORD, LoginStep.SECOND_FACTOR, None]
    person(appliance, "wang", [Role.ARCHIVIST], ready=False)
    enrol(appliance, "wang")  # the second factor comes before the password change
    assert steps(appliance, "wang", [LoginStep.PASSWORD, LoginStep.SECOND_FACTOR]) == \
        [LoginStep.PASSWORD, LoginStep.SECOND_FACTOR, LoginStep.CHANGE_PASSWORD]
    person(appliance, "li.na", [Role.READER])
    assert steps(appliance, "li.na", [LoginStep.PASSWORD]) == [LoginStep.PASSWORD, None]
    late = START + datetime.timedelta(days=91)
    assert steps(appliance, "li.na", [LoginStep.PASSWORD], now=late) == [LoginStep.PASSWORD, LoginStep.CHANGE_PASSWORD]


def session_ends(appliance, session_id: int) -> list[dict]:
    return [event.details for event in history(appliance.uow_factory, "session", str(session_id))
            if event.action == "session.end"]


@pytest.mark.parametrize(("policy", "visits", "reason"), [
    (SessionPolicy(15, 12), [16], "idle"),
    (SessionPolicy(15, 1), [14, 28, 42, 56, 61], "expired"),
])
def test_a_session_over_its_time_ends_once(appliance, policy, visits, reason):
    account = person(appliance, "wang", [Role.ARCHIVIST])
    token = start_session(appliance.uow_factory, account, SOURCE, START)
    moments = [START + datetime.timedelta(minutes=minutes) for minutes in visits]
    resumed = [resume_session(appliance.uow_factory, token, SOURCE, moment, policy) for moment in moments]
    assert all(resumed[:-1]) and resumed[-1] is None
    session_id = find_session(appliance, token).id
    assert resume_session(appliance.uow_factory, token, SOURCE, moments[-1], policy) is None
    assert session_ends(appliance, session_id) == [{"reason": reason}]
    assert resume_session(appliance.uow_factory, "made-up-token", SOURCE, START, policy) is None


def find_session(appliance, token: str):
    with appliance.uow_factory(read_only=True) as uow:
        return uow.sessions.find(token_digest(token))


def test_last_seen_is_written_at_most_every_thirty_seconds(appliance):
    account = person(appliance, "wang", [Role.ARCHIVIST])
    token = start_session(appliance.uow_factory, account, SOURCE, START)
    seen = []
    for seconds in (10, 29, 31, 50, 62):
        moment = START + datetime.timedelta(seconds=seconds)
        resumed = resume_session(appliance.uow_factory, token, SOURCE, moment, SessionPolicy())
        assert resumed.principal.username == "wang" and resumed.principal.may(Action.ITEM_READ)
        seen.append(int((find_session(appliance, token).last_seen_at - START).total_seconds()))
    assert seen == [0, 0, 31, 31, 62]


def test_the_throttle_counts_per_source_and_its_window_restarts(appliance, request):
    policy = ThrottlePolicy(attempts=2, window_minutes=5)

    def attempt(source, minutes=0.0):
        return throttle_login(appliance.uow_factory, source, START + datetime.timedelta(minutes=minutes), policy)

    assert [attempt("192.0.2.1", 0), attempt("192.0.2.1", 1), attempt("192.0.2.1", 2)] == [None, None, 300]
    assert attempt("192.0.2.2", 2) is None
    assert attempt("192.0.2.1", 4.9) == 300
    assert [attempt("192.0.2.1", 5), attempt("192.0.2.1", 6)] == [None, None]
    throttled = history(appliance.uow_factory, "source", "192.0.2.1")
    assert [event.details["attempts"] for event in throttled] == [3, 4]


def test_the_totp_secret_is_stored_sealed(appliance, tmp_path):
    person(appliance, "wang", [Role.ARCHIVIST])
    secret = enrol(appliance, "wang")
    with appliance.engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM users WHERE username = 'wang'")).mappings().one()
    assert not any(secret in str(value) for value in row.values())
    assert row["totp_secret"].startswith("v1:") and row["totp_pending"] is None
    assert appliance.sealer.open(row["totp_secret"]) == secret
    with pytest.raises(SealError, match="does not open"):
        SecretSealer(tmp_path / "another.key").open(row["totp_secret"])
    assert (appliance.config.home / "secrets" / "totp.key").stat().st_mode & 0o777 == 0o600


def test_a_code_is_accepted_once_and_wrong_codes_lock(appliance):
    person(appliance, "wang", [Role.ARCHIVIST])
    secret = enrol(appliance, "wang")
    later = START + datetime.timedelta(minutes=1)

    def check(code, at=later):
        return check_second_factor(appliance.uow_factory, appliance.totp, appliance.sealer, "wang", code, SOURCE,
                                   at).status

    code = CODES.code_at(secret, later)
    assert [check(code), check(code)] == [LoginStatus.OK, LoginStatus.WRONG]
    assert check(CODES.code_at(secret, START)) is LoginStatus.WRONG  # the enrolment's own code, older still
    assert [check("000000x"), check("12345"), check("999999")] == [LoginStatus.WRONG] * 2 + [LoginStatus.LOCKED]
    assert check(CODES.code_at(secret, later + datetime.timedelta(minutes=1))) is LoginStatus.LOCKED


def test_reset_totp_makes_an_administrator_enrol_again(appliance):
    person(appliance, "secadmin", [Role.SECURITY_ADMIN])
    enrol(appliance, "secadmin")
    reset_totp(appliance.uow_factory, SECURITY_OFFICER, "secadmin")
    account = accounts.get_user(appliance.uow_factory, "secadmin")
    assert not account.totp_enabled and account.totp_last_step is None
    assert steps(appliance, "secadmin", [LoginStep.PASSWORD])[-1] == LoginStep.ENROL_SECOND_FACTOR
    with pytest.raises(ConflictError, match="no second factor to reset"):
        reset_totp(appliance.uow_factory, SECURITY_OFFICER, "secadmin")
    with pytest.raises(NotFoundError):
        reset_totp(appliance.uow_factory, SECURITY_OFFICER, "nobody")
    with pytest.raises(ConflictError, match="no second factor is being set up"):
        confirm_totp(appliance.uow_factory, appliance.totp, appliance.sealer, SECURITY_OFFICER, "secadmin", "123456",
                     START)


def test_a_token_never_gets_scopes_beyond_its_owner(appliance):
    person(appliance, "li.na", [Role.READER])
    with pytest.raises(InvalidInputError, match="may not item.register"):
        issue_token(appliance.uow_factory, SECURITY_OFFICER, "li.na", "box", ["item.read", "item.register"], START)
    with pytest.raises(InvalidInputError, match="unknown scope"):
        issue_token(appliance.uow_factory, SECURITY_OFFICER, "li.na", "box", ["item.everything"], START)
    with pytest.raises(InvalidInputError, match="at least one scope"):
        issue_token(appliance.uow_factory, SECURITY_OFFICER, "li.na", "box", [], START)
    with pytest.raises(NotFoundError):
        issue_token(appliance.uow_factory, SECURITY_OFFICER, "nobody", "box", ["item.read"], START)
    token, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, "li.na", " box ", ["item.read"], START)
    assert (token.name, token.scopes, token.username) == ("box", {Action.ITEM_READ}, "li.na")
    assert secret.startswith("dgn_") and token.prefix == secret[4:12]


def test_a_token_acts_for_its_scopes_and_its_owners_current_roles(appliance):
    person(appliance, "wang", [Role.ARCHIVIST])
    accounts.set_scope(appliance.uow_factory, SECURITY_OFFICER, "wang",
                       AccessScope(AccessLabel.INTERNAL, frozenset({"BGS"})))
    _, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, "wang", "box",
                            ["item.read", "scanners.view", "intake.review"], START)
    principal = resolve_token(appliance.uow_factory, secret, SOURCE, START)
    assert principal.actions == {Action.ITEM_READ, Action.SCANNERS_VIEW, Action.INTAKE_REVIEW}
    assert (principal.via, principal.scope) == ("token", AccessScope(AccessLabel.INTERNAL, frozenset({"BGS"})))
    accounts.set_roles(appliance.uow_factory, SECURITY_OFFICER, "wang", [Role.READER, Role.OPERATOR])
    narrowed = resolve_token(appliance.uow_factory, secret, SOURCE, START)
    assert narrowed.actions == {Action.ITEM_READ, Action.SCANNERS_VIEW}
    assert resolve_token(appliance.uow_factory, secret + "x", SOURCE, START) is None


def test_an_empty_department_scope_is_not_widened_to_every_department(appliance):
    person(appliance, "wang", [Role.READER])
    try:
        account = accounts.set_scope(appliance.uow_factory, SECURITY_OFFICER, "wang",
                                     AccessScope(AccessLabel.INTERNAL, frozenset()))
    except InvalidInputError:
        return  # refusing it is as good as keeping it
    assert account.scope.departments == frozenset()
