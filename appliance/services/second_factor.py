"""The second factor (TOTP): offer a secret, confirm it with a first code, check codes at sign-in, reset.

Secrets are stored sealed; a code is accepted once (its time step must be newer than the last accepted), and a
wrong code counts towards the account's lockout like a wrong password.
"""

import datetime
from dataclasses import dataclass
from typing import Protocol

from appliance.domain.accounts import (
    LockoutPolicy,
    LockoutState,
    LoginOutcome,
    LoginStatus,
    normalise_username,
)
from appliance.domain.actors import Actor
from appliance.domain.errors import ConflictError, InvalidInputError
from appliance.services.accounts import count_failure, locked_message, require_account
from appliance.services.audit import record

ISSUER = "Dangan"
WRONG_CODE = "the code is wrong or already used: type the code your authenticator shows now"


class TotpPort(Protocol):
    def new_secret(self) -> str: ...

    def matching_step(self, secret: str, code: str, now: datetime.datetime) -> int | None: ...

    def provisioning_uri(self, secret: str, username: str, issuer: str) -> str: ...


class SealerPort(Protocol):
    def seal(self, secret: str) -> str: ...

    def open(self, sealed: str) -> str: ...


@dataclass(frozen=True)
class TotpOffer:
    """What the enrolment page shows: the secret (for typing) and the otpauth URI (for the QR code)."""

    secret: str
    uri: str


def offer_totp(uow_factory, totp: TotpPort, sealer: SealerPort, actor: Actor, username: str) -> TotpOffer:
    """Make a new secret for the user to add to an authenticator; it takes effect once confirmed."""
    secret = totp.new_secret()
    with uow_factory() as uow:
        account = require_account(uow, username)
        uow.accounts.set_totp_pending(account.id, sealer.seal(secret))
        record(uow, actor, "totp.offer", "user", account.username)
        uow.commit()
    return TotpOffer(secret, totp.provisioning_uri(secret, account.username, ISSUER))


def confirm_totp(uow_factory, totp: TotpPort, sealer: SealerPort, actor: Actor, username: str, code: str,
                 now: datetime.datetime) -> None:
    """Switch the offered secret on, proven by a code from it.

    Raises ConflictError when nothing was offered, InvalidInputError when the code does not match.
    """
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        if not account.totp_pending:
            raise ConflictError("no second factor is being set up: start again")
        step = totp.matching_step(sealer.open(account.totp_pending), code, now)
        if step is None:
            record(uow, actor, "totp.enable", "user", account.username, {"reason": "code wrong"}, result="failure")
            uow.commit()
            raise InvalidInputError(WRONG_CODE)
        uow.accounts.set_totp(account.id, secret=account.totp_pending, pending=None, last_step=step)
        record(uow, actor, "totp.enable", "user", account.username, {"replaced": account.totp_enabled})
        uow.commit()


def check_second_factor(uow_factory, totp: TotpPort, sealer: SealerPort, username: str, code: str, source: str,
                        now: datetime.datetime, lockout_policy: LockoutPolicy = LockoutPolicy()) -> LoginOutcome:
    """Check the code of a user who has given the right password; never raises for a wrong code."""
    actor = Actor(normalise_username(username), source)
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        locked_until = account.lockout.locked_at(now)
        step = None if locked_until else totp.matching_step(sealer.open(account.totp_secret), code, now)
        if locked_until is not None:
            outcome = LoginOutcome(LoginStatus.LOCKED, locked_message(locked_until), locked_until=locked_until)
            record(uow, actor, "login.failure", "user", account.username, {"reason": "locked"}, result="failure")
        elif step is not None and (account.totp_last_step is None or step > account.totp_last_step):
            uow.accounts.set_totp_last_step(account.id, step)
            uow.accounts.set_lockout(account.id, LockoutState())
            record(uow, actor, "login.second_factor", "user", account.username)
            outcome = LoginOutcome(LoginStatus.OK, "second factor accepted", account)
        else:
            reason = "second factor code used before" if step is not None else "wrong second factor code"
            outcome = count_failure(uow, actor, account, now, lockout_policy, reason, WRONG_CODE)
        uow.commit()
    return outcome


def reset_totp(uow_factory, actor: Actor, username: str) -> None:
    """The security administrator removes a user's second factor (a lost phone); they enrol again at sign-in."""
    with uow_factory() as uow:
        account = require_account(uow, username, for_update=True)
        if not account.totp_enabled and not account.totp_pending:
            raise ConflictError(f"user {account.username} has no second factor to reset")
        uow.accounts.set_totp(account.id, secret=None, pending=None, last_step=None)
        record(uow, actor, "totp.reset", "user", account.username)
        uow.commit()
