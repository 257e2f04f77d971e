import datetime

import pytest

from appliance.domain.accounts import (
    LockoutPolicy,
    LockoutState,
    PasswordPolicy,
    Role,
    after_failure,
    character_classes,
    check_display_name,
    check_password,
    check_roles,
    check_username,
    parse_role,
    password_expired,
    password_expires_at,
    password_problems,
)
from appliance.domain.errors import InvalidInputError

NOON = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
POLICY = PasswordPolicy()


def test_every_role_has_a_chinese_and_an_english_label():
    assert Role.SECURITY_ADMIN.label("zh") == "安全保密管理员"
    assert Role.AUDIT_ADMIN.label("en") == "Audit administrator"
    assert all(role.label("zh") and role.label("en") != role.label("zh") for role in Role)
    assert parse_role("档案员") is Role.ARCHIVIST and parse_role(" Reader ") is Role.READER
    with pytest.raises(InvalidInputError, match="unknown role 'admin'"):
        parse_role("admin")


def test_business_roles_combine_freely():
    assert check_roles(["archivist", "approver", Role.READER, "operator"]) == {
        Role.ARCHIVIST, Role.APPROVER, Role.READER, Role.OPERATOR}
    assert check_roles([Role.AUDIT_ADMIN]) == {Role.AUDIT_ADMIN}


@pytest.mark.parametrize("administrator", ["system_admin", "security_admin", "audit_admin"])
def test_an_administrator_holds_no_other_role(administrator):
    for other in Role:
        if other.value == administrator:
            continue
        with pytest.raises(InvalidInputError, match="三员分立"):
            check_roles([administrator, other])


def test_a_user_has_at_least_one_role():
    with pytest.raises(InvalidInputError, match="at least one role"):
        check_roles([])


@pytest.mark.parametrize("name", ["wang", "li.na", "zhang_3", "a-b", "x" * 32, " Wang "])
def test_good_usernames(name):
    assert check_username(name) == name.strip().lower()


@pytest.mark.parametrize("name", ["ab", "3wang", "x" * 33, "wang li", "王", "wang@box", "_wang", ""])
def test_bad_usernames(name):
    with pytest.raises(InvalidInputError, match="3-32 characters"):
        check_username(name)


def test_the_display_name_defaults_to_the_username_and_has_a_ceiling():
    assert check_display_name("  ", "wang") == "wang"
    assert check_display_name(" 王小明 ", "wang") == "王小明"
    with pytest.raises(InvalidInputError, match="at most 200"):
        check_display_name("名" * 201, "wang")


def test_character_classes_count_chinese_as_other():
    assert character_classes("abc") == 1
    assert character_classes("aB3") == 3
    assert character_classes("aB3!") == 4
    assert character_classes("档案Ab") == 3


def test_a_good_password_has_no_problems():
    assert password_problems("Dang-an2026", POLICY, "wang") == []
    assert check_password("档案Secure1", POLICY, "wang") == "档案Secure1"


@pytest.mark.parametrize(("password", "problem"), [
    ("", "the password is empty"),
    ("Ab1!", "shorter than 8 characters"),
    ("abcdefgh12", "uses 2 of the 4 character classes"),
    ("Wang-2026x", "contains the user name"),
    ("aaaaaaaaaaaa", "one character repeated"),
    ("Ab1!" * 70, "longer than 256 characters"),
])
def test_each_problem_is_named(password, problem):
    assert any(problem in text for text in password_problems(password, POLICY, "wang"))


def test_check_password_lists_every_problem():
    with pytest.raises(InvalidInputError, match="shorter than 8 characters; it uses 1 of the 4"):
        check_password("wang", POLICY, "li")


def test_a_stricter_policy_is_applied():
    strict = PasswordPolicy(min_length=12, min_classes=4)
    assert password_problems("Dang-an2026", POLICY, "wang") == []
    assert len(password_problems("Dangan2026x", strict, "wang")) == 2
    with pytest.raises(InvalidInputError, match="out of range"):
        PasswordPolicy(min_classes=5)


def test_expiry_after_90_days_or_never():
    assert password_expires_at(NOON, POLICY) == NOON + datetime.timedelta(days=90)
    assert not password_expired(NOON, NOON + datetime.timedelta(days=89, hours=23), POLICY)
    assert password_expired(NOON, NOON + datetime.timedelta(days=90), POLICY)
    assert not password_expired(NOON, NOON + datetime.timedelta(days=9000), PasswordPolicy(expiry_days=0))


def _fail(times: int, state: LockoutState = LockoutState(), at: datetime.datetime = NOON) -> LockoutState:
    for _ in range(times):
        state = after_failure(state, at, LockoutPolicy())
    return state


def test_the_fifth_failure_in_a_row_locks_for_15_minutes():
    assert _fail(4) == LockoutState(4, None)
    locked = _fail(5)
    assert locked.locked_until == NOON + datetime.timedelta(minutes=15)
    assert locked.locked_at(NOON + datetime.timedelta(minutes=14, seconds=59)) == locked.locked_until
    assert locked.locked_at(NOON + datetime.timedelta(minutes=15)) is None


def test_failures_during_a_lock_neither_count_nor_extend_it():
    locked = _fail(5)
    assert _fail(3, locked, NOON + datetime.timedelta(minutes=10)) == locked


def test_after_a_lock_runs_out_the_full_allowance_returns():
    later = NOON + datetime.timedelta(minutes=16)
    state = _fail(4, _fail(5), later)
    assert state == LockoutState(4, None)
    assert _fail(1, state, later).locked_until == later + datetime.timedelta(minutes=15)


def test_a_custom_lockout_policy():
    policy = LockoutPolicy(max_failures=3, lock_minutes=60)
    state = LockoutState()
    for _ in range(3):
        state = after_failure(state, NOON, policy)
    assert state.locked_until == NOON + datetime.timedelta(hours=1)
    with pytest.raises(InvalidInputError, match="out of range"):
        LockoutPolicy(max_failures=0)
