"""`dangan user ...`: accounts from the shell. Passwords come from stdin or a hidden prompt, never an argument."""

import datetime
import sys

import click

from appliance.cli.context import CliContext, pass_context
from appliance.domain.access import AccessScope, parse_clearance, parse_departments
from appliance.domain.accounts import Account, Role, normalise_username
from appliance.services import accounts as account_service
from appliance.services import second_factor

ROLES = click.Choice([role.value for role in Role])
ROLE_HELP = "; ".join(f"{role.value} {role.label('zh')}" for role in Role)


def read_password(what: str) -> str:
    """A hidden prompt with confirmation on a terminal; otherwise the first line of stdin (for scripts)."""
    if sys.stdin.isatty():
        return click.prompt(what, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.group("user")
def user_group() -> None:
    """User accounts and roles (三员分立)."""


CLEARANCE_HELP = "公开, 内部 or 受控 (public, internal, restricted): the highest access label the user sees"
DEPARTMENT_HELP = "repeatable: a department code the user is limited to; none: every department"


def _scope(clearance: str, departments: tuple[str, ...]) -> AccessScope:
    return AccessScope(parse_clearance(clearance), parse_departments(departments) if departments else None)


@user_group.command("add")
@click.argument("name")
@click.option("--role", "roles", type=ROLES, multiple=True, required=True, help=f"repeatable: {ROLE_HELP}")
@click.option("--display-name", default="", help="the name people see; the user name when left out")
@click.option("--clearance", default="公开", show_default=True, help=CLEARANCE_HELP)
@click.option("--department", "departments", multiple=True, help=DEPARTMENT_HELP)
@pass_context
def add_user(context: CliContext, name: str, roles: tuple[str, ...], display_name: str, clearance: str,
             departments: tuple[str, ...]) -> None:
    """Create user NAME; the initial password (read from stdin) must be changed at first login."""
    scope = _scope(clearance, departments)
    password = read_password("initial password")
    appliance = context.appliance
    account = account_service.add_user(appliance.uow_factory, appliance.passwords, context.actor, name, password,
                                       roles, display_name, scope=scope, policy=appliance.password_policy)
    click.echo(f"user {account.username} added ({_roles(account)}); the password must be changed at first login")


@user_group.command("list")
@pass_context
def list_users(context: CliContext) -> None:
    """List users: name, display name, roles, state."""
    for account in account_service.list_users(context.appliance.uow_factory):
        click.echo(f"{account.username}\t{account.display_name}\t{_roles(account)}\t{_state(account)}")


@user_group.command("roles")
@click.argument("name")
@click.option("--role", "roles", type=ROLES, multiple=True, required=True, help=f"repeatable: {ROLE_HELP}")
@pass_context
def set_roles(context: CliContext, name: str, roles: tuple[str, ...]) -> None:
    """Replace the roles of user NAME."""
    account = account_service.set_roles(context.appliance.uow_factory, context.actor, name, roles)
    click.echo(f"user {account.username} now holds {_roles(account)}")


@user_group.command("scope")
@click.argument("name")
@click.option("--clearance", required=True, help=CLEARANCE_HELP)
@click.option("--department", "departments", multiple=True, help=DEPARTMENT_HELP)
@pass_context
def set_scope(context: CliContext, name: str, clearance: str, departments: tuple[str, ...]) -> None:
    """Set the clearance and department scope of user NAME."""
    account = account_service.set_scope(context.appliance.uow_factory, context.actor, name,
                                        _scope(clearance, departments))
    shown = ",".join(sorted(account.departments)) if account.departments else "every department"
    click.echo(f"user {account.username} sees up to {account.clearance.value}, {shown}")


@user_group.command("totp-reset")
@click.argument("name")
@pass_context
def reset_totp(context: CliContext, name: str) -> None:
    """Remove the second factor of user NAME (a lost phone); a new one is set up at the next sign-in."""
    second_factor.reset_totp(context.appliance.uow_factory, context.actor, name)
    click.echo(f"second factor of user {normalise_username(name)} removed; it is set up again at the next sign-in")


@user_group.command("unlock")
@click.argument("name")
@pass_context
def unlock(context: CliContext, name: str) -> None:
    """Lift the lockout of user NAME."""
    account_service.unlock(context.appliance.uow_factory, context.actor, name)
    click.echo(f"user {normalise_username(name)} unlocked")


@user_group.command("disable")
@click.argument("name")
@pass_context
def disable(context: CliContext, name: str) -> None:
    """Disable user NAME: it can no longer sign in."""
    account_service.disable(context.appliance.uow_factory, context.actor, name)
    click.echo(f"user {normalise_username(name)} disabled")


@user_group.command("passwd")
@click.argument("name")
@pass_context
def reset_password(context: CliContext, name: str) -> None:
    """Set a new password (read from stdin) for user NAME, who must change it at the next login."""
    password = read_password("new password")
    appliance = context.appliance
    account_service.reset_password(appliance.uow_factory, appliance.passwords, context.actor, name, password,
                                   policy=appliance.password_policy)
    click.echo(f"password of user {normalise_username(name)} set; it must be changed at the next login")


def _roles(account: Account) -> str:
    return ",".join(sorted(role.value for role in account.roles))


def _state(account: Account) -> str:
    if account.disabled:
        return "disabled"
    locked_until = account.lockout.locked_at(datetime.datetime.now(datetime.UTC))
    if locked_until is not None:
        return f"locked-until {locked_until:%Y-%m-%d %H:%M}Z"
    return "must-change-password" if account.must_change_password else "active"


def register(cli: click.Group) -> None:
    cli.add_command(user_group)
