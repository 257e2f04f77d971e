"""The three administrators (三员) of a new box, made through the account service, which audits each one.

Like `dangan init`'s first accounts, each gets a one-time password: the account must change it and set up a
second factor (TOTP) at first sign-in (add_user marks the password one-time; every administrator needs TOTP).
"""

from collections.abc import Callable
from dataclasses import dataclass

from appliance.adapters.secrets import random_password
from appliance.bootstrap import Appliance
from appliance.domain.accounts import Account
from appliance.domain.actors import Actor
from appliance.services.accounts import add_user, list_users
from provisioning.answers import Administrator
from provisioning.system import ProvisioningError

PROVISIONING_ACTOR = Actor(name="system:provision", source="local")


@dataclass(frozen=True)
class AdministratorsOutcome:
    created: tuple[str, ...]
    kept: tuple[str, ...]
    generated: dict[str, str]  # username -> one-time password made here: shown once on the terminal, never stored


def ensure_administrators(appliance: Appliance, people: tuple[Administrator, ...],
                          make_password: Callable[[], str] = random_password) -> AdministratorsOutcome:
    """Create each answered administrator the box lacks; those already there are kept as they are.

    Raises ProvisioningError when the box already has a different person in one of the three roles, or an
    account of that name with another role (nothing is created then).
    """
    existing = {account.username: account for account in list_users(appliance.uow_factory)}
    _check_against(existing, people)
    missing = [person for person in people if person.username not in existing]
    generated = {person.username: make_password() for person in missing if not person.password}
    for person in missing:
        add_user(appliance.uow_factory, appliance.passwords, PROVISIONING_ACTOR, person.username,
                 person.password or generated[person.username], [person.role], person.name,
                 policy=appliance.password_policy)
    return AdministratorsOutcome(tuple(person.username for person in missing),
                                 tuple(person.username for person in people if person.username in existing),
                                 generated)


def _check_against(existing: dict[str, Account], people: tuple[Administrator, ...]) -> None:
    for person in people:
        account = existing.get(person.username)
        if account is not None and account.roles != {person.role}:
            held = ", ".join(sorted(role.value for role in account.roles))
            raise ProvisioningError(f"user {person.username} already exists with the role {held}, not "
                                    f"{person.role.value}: choose another user name")
        holders = [other.username for other in existing.values()
                   if person.role in other.roles and other.username != person.username and not other.disabled]
        if holders:
            raise ProvisioningError(f"this box already has a {person.role.value} ({holders[0]}), so {person.username} "
                                    "is not added (三员: one person per role); name that account in the answers")


def describe(outcome: AdministratorsOutcome) -> str:
    """One line for the person: who was created, who was kept."""
    if not outcome.created:
        return f"already there ({', '.join(outcome.kept)}; kept as they are)"
    kept = f"; kept {', '.join(outcome.kept)}" if outcome.kept else ""
    return (f"created {', '.join(outcome.created)}{kept}: each changes the one-time password and sets up TOTP at "
            "first sign-in")
