"""The first accounts of a new box: the three administrators of 三员分立, each with a one-time password."""

from collections.abc import Callable

from appliance.domain.accounts import PasswordPolicy, Role
from appliance.domain.actors import Actor
from appliance.services.accounts import PasswordHashing, add_user

FIRST_ADMINISTRATORS = (
    ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN),
    ("secadmin", "安全保密管理员", Role.SECURITY_ADMIN),
    ("auditadmin", "安全审计员", Role.AUDIT_ADMIN),
)


def create_first_administrators(uow_factory, passwords: PasswordHashing, actor: Actor, policy: PasswordPolicy,
                                make_password: Callable[[], str]) -> dict[str, str]:
    """On a box with no accounts, create the three administrators; returns their one-time passwords.

    Each must change the password and set up a second factor at first sign-in. Returns {} when accounts exist.
    """
    with uow_factory(read_only=True) as uow:
        if uow.accounts.list_accounts():
            return {}
    created = {}
    for username, display_name, role in FIRST_ADMINISTRATORS:
        password = make_password()
        add_user(uow_factory, passwords, actor, username, password, [role], display_name, policy=policy)
        created[username] = password
    return created
