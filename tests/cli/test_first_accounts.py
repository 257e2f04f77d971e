"""`dangan init` makes the three administrators with one-time passwords; `dangan demo` adds the demo archivist."""

import re

from appliance.bootstrap import build_appliance
from appliance.config import load_config
from appliance.domain.accounts import LoginStatus, Role
from appliance.services.accounts import authenticate, list_users

PRINTED_PASSWORD = re.compile(r"^  (\S+) +(\S+)$", re.MULTILINE)


def sign_in(username: str, password: str):
    appliance = build_appliance(load_config(), migrate=False)
    try:
        return authenticate(appliance.uow_factory, appliance.passwords, username, password, "192.0.2.9")
    finally:
        appliance.close()


def accounts_now() -> dict[str, set[Role]]:
    appliance = build_appliance(load_config(), migrate=False)
    try:
        return {account.username: set(account.roles) for account in list_users(appliance.uow_factory)}
    finally:
        appliance.close()


def test_init_makes_the_three_administrators_once(dangan, tmp_path):
    code, out, _ = dangan("init")
    passwords = dict(PRINTED_PASSWORD.findall(out))
    assert code == 0 and sorted(passwords) == ["auditadmin", "secadmin", "sysadmin"]
    assert len(set(passwords.values())) == 3 and all(len(password) >= 12 for password in passwords.values())
    path = tmp_path / "home" / "secrets" / "initial-passwords"
    assert f"(also in {path}, mode 0600)" in out and "second factor (TOTP)" in out
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text(encoding="utf-8") == "".join(f"{name}\t{password}\n" for name, password in passwords.items())
    assert accounts_now() == {"sysadmin": {Role.SYSTEM_ADMIN}, "secadmin": {Role.SECURITY_ADMIN},
                              "auditadmin": {Role.AUDIT_ADMIN}}
    outcome = sign_in("secadmin", passwords["secadmin"])
    assert outcome.status is LoginStatus.MUST_CHANGE_PASSWORD and outcome.account.totp_required
    code, again, _ = dangan("init")
    assert code == 0 and PRINTED_PASSWORD.findall(again) == [] and "one-time" not in again
    assert len(accounts_now()) == 3
    assert path.read_text(encoding="utf-8").count("\n") == 3


def test_demo_adds_the_demo_archivist_who_signs_in_with_the_printed_password(dangan):
    assert dangan("init")[0] == 0
    stack = load_config().virtual_stack  # rendering the sample stack takes seconds and is not this test's subject
    stack.mkdir(parents=True)
    (stack / "sheet-0001.png").write_bytes(b"")
    code, out, _ = dangan("demo")
    printed = dict(PRINTED_PASSWORD.findall(out))
    assert code == 0 and list(printed) == ["demo"]
    assert accounts_now()["demo"] == {Role.ARCHIVIST, Role.OPERATOR}
    assert sign_in("demo", printed["demo"]).status is LoginStatus.MUST_CHANGE_PASSWORD
    code, again, _ = dangan("demo")
    assert code == 0 and PRINTED_PASSWORD.findall(again) == [] and len(accounts_now()) == 4
