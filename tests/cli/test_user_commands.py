import io
import sys

import pytest

from appliance.bootstrap import build_appliance
from appliance.config import load_config
from appliance.domain.accounts import LoginStatus
from appliance.services.accounts import authenticate


@pytest.fixture
def users(dangan, monkeypatch):
    """Run `dangan` with TEXT on stdin: users("user", "add", ..., stdin="...")."""
    assert dangan("init")[0] == 0

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return dangan(*args)

    return run


FIRST_ADMINISTRATORS = ["auditadmin\t安全审计员\taudit_admin\tmust-change-password",
                        "secadmin\t安全保密管理员\tsecurity_admin\tmust-change-password",
                        "sysadmin\t系统管理员\tsystem_admin\tmust-change-password"]


def listed(users) -> list[str]:
    """`dangan user list` without the three administrators that `dangan init` made."""
    code, out, _ = users("user", "list")
    assert code == 0
    lines = out.splitlines()
    assert [line for line in lines if line in FIRST_ADMINISTRATORS] == FIRST_ADMINISTRATORS
    return [line for line in lines if line not in FIRST_ADMINISTRATORS]


def sign_in(username: str, password: str):
    appliance = build_appliance(load_config(), migrate=False)
    try:
        return authenticate(appliance.uow_factory, appliance.passwords, username, password, "192.0.2.9")
    finally:
        appliance.close()


def test_a_security_administrator_manages_users_from_the_shell(users):
    code, out, _ = users("user", "add", "wang", "--role", "archivist", "--role", "reader", "--display-name", "王小明",
                         stdin="Initial-2026\n")
    assert (code, out) == (0, "user wang added (archivist,reader); the password must be changed at first login\n")
    assert users("user", "add", "li.na", "--role", "audit_admin", stdin="Audit#2026x\n")[0] == 0
    assert listed(users) == ["li.na\tli.na\taudit_admin\tmust-change-password",
                             "wang\t王小明\tarchivist,reader\tmust-change-password"]
    assert sign_in("wang", "Initial-2026").status is LoginStatus.MUST_CHANGE_PASSWORD
    assert users("user", "roles", "wang", "--role", "approver") == (0, "user wang now holds approver\n", "")
    assert users("user", "passwd", "wang", stdin="Another#Pass7\n")[0] == 0
    assert sign_in("wang", "Another#Pass7").status is LoginStatus.MUST_CHANGE_PASSWORD
    assert users("user", "disable", "wang") == (0, "user wang disabled\n", "")
    assert sign_in("wang", "Another#Pass7").status is LoginStatus.WRONG
    code, out, _ = users("audit", "verify")
    assert code == 0 and "audit chain intact" in out


def test_a_locked_user_is_unlocked(users):
    users("user", "add", "zhao", "--role", "operator", stdin="Initial-2026\n")
    for attempt in range(5):
        sign_in("zhao", f"Wrong-{attempt}")
    assert "\tlocked-until " in listed(users)[0]
    assert users("user", "unlock", "zhao") == (0, "user zhao unlocked\n", "")
    assert sign_in("zhao", "Initial-2026").status is LoginStatus.MUST_CHANGE_PASSWORD
    assert listed(users)[0].endswith("\tmust-change-password")


def test_bad_input_is_one_clear_line(users):
    code, _, err = users("user", "add", "wang", "--role", "system_admin", "--role", "archivist", stdin="Good#Pass12\n")
    assert code == 1 and err.startswith("error: an administrator (system_admin) holds no other role (三员分立)")
    code, _, err = users("user", "add", "wang", "--role", "reader", stdin="short\n")
    assert code == 1 and err.startswith("error: password refused: it is shorter than 8 characters")
    code, _, err = users("user", "add", "wang", "--role", "reader", stdin="")
    assert (code, err) == (1, "error: password refused: the password is empty\n")
    code, _, err = users("user", "add", "wang", "--role", "superuser", stdin="Good#Pass12\n")
    assert code == 2 and "'superuser' is not one of" in err
    assert users("user", "unlock", "nobody") == (1, "", "error: no user 'nobody'\n")
    assert listed(users) == []


def test_a_stricter_password_policy_in_the_config_applies(users, monkeypatch):
    monkeypatch.setenv("DANGAN_ACCOUNTS_PASSWORD_MIN_LENGTH", "14")
    code, _, err = users("user", "add", "zhao", "--role", "reader", stdin="Initial-2026\n")
    assert code == 1 and "14" in err
    assert users("user", "add", "zhao", "--role", "reader", stdin="Initial-2026-long\n")[0] == 0


def test_clearance_department_scope_and_second_factor_from_the_shell(users):
    code, _, err = users("user", "add", "zhou", "--role", "archivist", "--clearance", "内部", "--department", "bgs",
                         stdin="Initial-2026\n")
    assert (code, err) == (0, "")
    assert users("user", "scope", "zhou", "--clearance", "受控") == (
        0, "user zhou sees up to 受控, every department\n", "")
    code, out, _ = users("user", "scope", "zhou", "--clearance", "internal", "--department", "BGS", "--department",
                         "RSC")
    assert (code, out) == (0, "user zhou sees up to 内部, BGS,RSC\n")
    code, _, err = users("user", "scope", "zhou", "--clearance", "机密")
    assert code == 1 and "classified" in err
    code, _, err = users("user", "totp-reset", "zhou")
    assert code == 1 and "no second factor to reset" in err
