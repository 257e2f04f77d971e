"""Accounts: create users, give roles, change passwords, sign in with lockout, unlock and disable.

Every use case writes its audit event in the unit of work that makes the change. Hashing (argon2id, about 0.1 s
here) is done outside the write transaction, so a login does not hold SQLite's write lock while argon2 runs.
"""

import datetime
import functools
from collections.abc import Iterable
from typing import Protocol

from appliance.domain.access import AccessScope
from appliance.domain.accounts import (
    USERNAME_PATTERN,
    WRONG_CREDENTIALS,
    Account,
    LockoutPolicy,
    LockoutState,
    LoginOutcome,
    LoginStatus,
    PasswordPolicy,
    Role,
    after_failure,
    check_display_name,
    check_password,
    check_roles,
    check_username,
    normalise_username,
    password_expired,
)
from appliance.domain.actors import Actor
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.notifications import check_mail_address
from appliance.services.audit import record
from appliance.services.sessions import end_sessions_of

DEFAULT_PASSWORD_POLICY = PasswordPolicy()
DEFAULT_LOCKOUT_POLICY = LockoutPolicy()
AUDITED_NAME_LENGTH = 64  # what a failed login typed is audited, cut to this length
LOCKOUT_ACTOR = "system:lockout"


class PasswordHashing(Protocol):
    """The port to the password hasher (argon2id in appliance.adapters.passwords)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


def add_user(uow_factory, passwords: PasswordHashing, actor: Actor, username: str, initial_password: str,
             roles: Iterable[Role | str], display_name: str = "", *, scope: AccessScope = AccessScope(),
             policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY, now: datetime.datetime | None = None) -> Account:
    """Create a user who must change the initial password at first login.

    Raises InvalidInputError (name, roles or password) or ConflictError if the name is taken.
    """
    username = check_username(username)
    chosen = check_roles(roles)
    display = check_display_name(display_name, username)
    password_hash = passwords.hash(check_password(initial_password, policy, username))
    with uow_factory() as uow:
        if uow.accounts.get(username) is not None:
            raise ConflictError(f"user {username} already exists")
        account = uow.accounts.add(username, display, password_hash, chosen, now or _now())
        uow.accounts.set_scope(account.id, scope.clearance, scope.departments)
        record(uow, actor, "account.create", "user", username,
               {"display_name": display, "roles": _role_names(chosen), **_scope_details(scope)})
        uow.commit()
    return get_user(uow_factory, username)


def set_scope(uow_factory, actor: Actor, username: str, scope: AccessScope) -> Account:
    """Set a user's clearance and department scope (None: every department); raises NotFoundError."""
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        uow.accounts.set_scope(account.id, scope.clearance, scope.departments)
        record(uow, actor, "account.scope", "user", account.username,
               {"from": _scope_details(account.scope), "to": _scope_details(scope)})
        uow.commit()
    return get_user(uow_factory, account.username)


def set_mail_address(uow_factory, actor: Actor, username: str, address: str) -> str:
    """Set (or with "" remove) the address a user's notifications are mailed to; returns it as stored.

    Raises InvalidInputError (not a mail address) or NotFoundError.
    """
    address = check_mail_address(address)
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        before = uow.notifications.mail_addresses([account.username]).get(account.username, "")
        if address != before:
            uow.notifications.set_mail_address(account.id, address)
            record(uow, actor, "account.email", "user", account.username, {"from": before, "to": address})
            uow.commit()
    return address


def mail_addresses(uow_factory) -> dict[str, str]:
    """Every user's mail address, by user name (those without one are left out)."""
    with uow_factory(read_only=True) as uow:
        return uow.notifications.mail_addresses()


def _scope_details(scope: AccessScope) -> dict:
    departments = None if scope.departments is None else sorted(scope.departments)
    return {"clearance": scope.clearance.value, "departments": departments}


def list_users(uow_factory) -> list[Account]:
    with uow_factory(read_only=True) as uow:
        return uow.accounts.list_accounts()


def get_user(uow_factory, username: str) -> Account:
    """The account; raises NotFoundError."""
    with uow_factory(read_only=True) as uow:
        return require_account(uow, username)


def set_roles(uow_factory, actor: Actor, username: str, roles: Iterable[Role | str]) -> Account:
    """Replace a user's roles; raises InvalidInputError (三员分立) or NotFoundError."""
    chosen = check_roles(roles)
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        if Role.SECURITY_ADMIN not in chosen:
            _keep_a_security_administrator(uow, account)
        uow.accounts.set_roles(account.id, chosen)
        record(uow, actor, "account.roles", "user", account.username,
               {"from": _role_names(account.roles), "to": _role_names(chosen)})
        uow.commit()
    return get_user(uow_factory, account.username)


def unlock(uow_factory, actor: Actor, username: str) -> None:
    """Lift a lockout and clear the failure count; raises NotFoundError."""
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        uow.accounts.set_lockout(account.id, LockoutState())
        until = account.lockout.locked_until
        record(uow, actor, "account.unlock", "user", account.username,
               {"locked_until": until.isoformat() if until else None, "failures": account.lockout.failures})
        uow.commit()


def disable(uow_factory, actor: Actor, username: str) -> None:
    """Disable an account: it can no longer sign in. Raises NotFoundError, or ConflictError if already disabled."""
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        if account.disabled:
            raise ConflictError(f"user {account.username} is already disabled")
        _keep_a_security_administrator(uow, account)
        uow.accounts.set_disabled(account.id, True)
        record(uow, actor, "account.disable", "user", account.username)
        end_sessions_of(uow, account.id, account.username, actor, _now(), "disabled")
        uow.commit()


def change_password(uow_factory, passwords: PasswordHashing, actor: Actor, username: str, current_password: str,
                    new_password: str, *, policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
                    now: datetime.datetime | None = None) -> None:
    """A user changes their own password, proving the current one; the new one starts a fresh expiry period.

    Raises ForbiddenError (current password wrong), InvalidInputError (policy or history) or NotFoundError.
    """
    account = get_user(uow_factory, username)
    if not passwords.verify(account.password_hash, current_password):
        with uow_factory() as uow:
            record(uow, actor, "password.change", "user", account.username, {"reason": "current password wrong"},
                   result="failure")
            uow.commit()
        raise ForbiddenError("the current password is wrong")
    _store_password(uow_factory, passwords, actor, account, new_password, policy, now or _now(), False)


def reset_password(uow_factory, passwords: PasswordHashing, actor: Actor, username: str, new_password: str, *,
                   policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY, now: datetime.datetime | None = None) -> None:
    """An administrator sets a password; the user must change it at the next login.

    Raises InvalidInputError (policy or history) or NotFoundError.
    """
    account = get_user(uow_factory, username)
    _store_password(uow_factory, passwords, actor, account, new_password, policy, now or _now(), True)


def _store_password(uow_factory, passwords: PasswordHashing, actor: Actor, account: Account, new_password: str,
                    policy: PasswordPolicy, moment: datetime.datetime, must_change: bool) -> None:
    check_password(new_password, policy, account.username)
    with uow_factory(read_only=True) as uow:
        recent = uow.accounts.recent_hashes(account.id, policy.history)
    if any(passwords.verify(old_hash, new_password) for old_hash in recent):
        raise InvalidInputError(f"password refused: it is one of the last {policy.history} passwords of this user")
    new_hash = passwords.hash(new_password)
    with uow_factory() as uow:
        uow.accounts.set_password(account.id, new_hash, moment, must_change, keep_history=policy.history)
        action = "password.reset" if must_change else "password.change"
        record(uow, actor, action, "user", account.username, {"must_change_password": must_change})
        if must_change:  # someone else set it: whoever was signed in with the old one is signed out
            end_sessions_of(uow, account.id, account.username, actor, moment, "password reset")
        uow.commit()


def authenticate(uow_factory, passwords: PasswordHashing, username: str, password: str, source: str,
                 now: datetime.datetime | None = None, *, password_policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
                 lockout_policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY) -> LoginOutcome:
    """Check a login; never raises for bad credentials and never tells an unknown user from a wrong password.

    Failures count towards the lockout; the audit log records the true reason.
    """
    moment = now or _now()
    name = normalise_username(username)
    actor = Actor(name[:AUDITED_NAME_LENGTH] or "(empty)", source)
    account = _find(uow_factory, name)
    if account is None or account.disabled:
        passwords.verify(_decoy_hash(passwords), password)  # the same work as a real check: timing tells nothing
        return _refuse(uow_factory, actor, "unknown user" if account is None else "account disabled")
    # A locked account's password is not even tried: a lock must not become an oracle for guesses.
    matched = account.lockout.locked_at(moment) is None and passwords.verify(account.password_hash, password)
    with uow_factory() as uow:
        fresh = require_account(uow, name, for_update=True)
        if fresh.lockout.locked_at(moment) is not None:
            outcome = _locked(uow, actor, fresh, moment)
        elif matched and fresh.password_hash == account.password_hash:
            outcome = _accept(uow, passwords, actor, fresh, password, moment, password_policy)
        else:
            outcome = count_failure(uow, actor, fresh, moment, lockout_policy, "wrong password", WRONG_CREDENTIALS)
        uow.commit()
    return outcome


def _accept(uow, passwords: PasswordHashing, actor: Actor, account: Account, password: str,
            moment: datetime.datetime, policy: PasswordPolicy) -> LoginOutcome:
    if account.lockout != LockoutState() and not account.totp_enabled:
        # With a second factor, failures are cleared only when the code is right too: otherwise a known
        # password would reset the count of guessed codes for ever.
        uow.accounts.set_lockout(account.id, LockoutState())
    if passwords.needs_rehash(account.password_hash):
        uow.accounts.replace_hash(account.id, passwords.hash(password))
    if account.must_change_password:
        status, message = LoginStatus.MUST_CHANGE_PASSWORD, "signed in: set a new password before going on"
    elif password_expired(account.password_changed_at, moment, policy):
        status, message = LoginStatus.EXPIRED, "your password has expired: set a new one before going on"
    else:
        status, message = LoginStatus.OK, "signed in"
    record(uow, actor, "login.success", "user", account.username, {"status": status.value})
    return LoginOutcome(status, message, account)


def count_failure(uow, actor: Actor, account: Account, moment: datetime.datetime, policy: LockoutPolicy,
                  reason: str, message: str) -> LoginOutcome:
    """Inside a unit of work: one more failed sign-in step (a password or a second-factor code), audited with its
    reason; the failure that reaches the limit locks the account."""
    state = after_failure(account.lockout, moment, policy)
    uow.accounts.set_lockout(account.id, state)
    failures = state.failures if state.locked_until is None else policy.max_failures
    record(uow, actor, "login.failure", "user", account.username,
           {"reason": reason, "failures": failures}, result="failure")
    if state.locked_until is None:
        return LoginOutcome(LoginStatus.WRONG, message)
    record(uow, Actor(LOCKOUT_ACTOR, actor.source), "account.lock", "user", account.username,
           {"until": state.locked_until.isoformat(), "failures": failures})
    return LoginOutcome(LoginStatus.LOCKED, locked_message(state.locked_until), locked_until=state.locked_until)


def _locked(uow, actor: Actor, account: Account, moment: datetime.datetime) -> LoginOutcome:
    until = account.lockout.locked_at(moment)
    record(uow, actor, "login.failure", "user", account.username,
           {"reason": "locked", "locked_until": until.isoformat()}, result="failure")
    return LoginOutcome(LoginStatus.LOCKED, locked_message(until), locked_until=until)


def _refuse(uow_factory, actor: Actor, reason: str) -> LoginOutcome:
    with uow_factory() as uow:
        record(uow, actor, "login.failure", "user", actor.name, {"reason": reason}, result="failure")
        uow.commit()
    return LoginOutcome(LoginStatus.WRONG, WRONG_CREDENTIALS)


def locked_message(until: datetime.datetime) -> str:
    return f"too many failed logins: try again after {until:%Y-%m-%d %H:%M} UTC"


@functools.lru_cache(maxsize=4)
def _decoy_hash(passwords: PasswordHashing) -> str:
    """A hash to check unknown users' passwords against, made once per hasher."""
    return passwords.hash("decoy password that no account has")


def _find(uow_factory, username: str) -> Account | None:
    if not USERNAME_PATTERN.fullmatch(username):
        return None
    with uow_factory(read_only=True) as uow:
        return uow.accounts.get(username)


def _keep_a_security_administrator(uow, leaving: Account) -> None:
    """Raise ConflictError if `leaving` is the last active security administrator: nobody could manage accounts."""
    if Role.SECURITY_ADMIN not in leaving.roles or leaving.disabled:
        return
    others = [account for account in uow.accounts.list_accounts()
              if Role.SECURITY_ADMIN in account.roles and not account.disabled and account.id != leaving.id]
    if not others:
        raise ConflictError(f"{leaving.username} is the last active security administrator: appoint another "
                            "before this one steps down")


def require_account(uow, username: str, for_update: bool = False) -> Account:
    """Inside a unit of work: the account, or NotFoundError."""
    account = uow.accounts.get(normalise_username(username), for_update=for_update)
    if account is None:
        raise NotFoundError(f"no user {username!r}")
    return account


def _role_names(roles: Iterable[Role]) -> list[str]:
    return sorted(role.value for role in roles)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
