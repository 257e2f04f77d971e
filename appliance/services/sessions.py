"""Console sessions: the steps of a sign-in, starting, resuming and ending a session, the login throttle.

A session is a random token in the browser's cookie and its digest in the database, so it can be ended on the
server (sign-out, idle timeout, a disabled account) and a copied cookie dies with it.
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from appliance.domain.accounts import Account, PasswordPolicy, password_expired
from appliance.domain.actors import Actor
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal, SessionPolicy, WebSession, end_reason, needs_touch
from appliance.services.audit import record

SESSION_AUDIT_TARGET = "session"


class LoginStep:
    """What a signing-in person has still to do, in this order."""

    PASSWORD = "password"
    SECOND_FACTOR = "second_factor"
    CHANGE_PASSWORD = "change_password"
    ENROL_SECOND_FACTOR = "enrol_second_factor"


def next_login_step(account: Account, proven: set[str], now: datetime.datetime,
                    policy: PasswordPolicy) -> str | None:
    """The next step of a sign-in from what has been proven so far; None when the session may start.

    The second factor comes before a password change, so nothing is changed by someone who has only the password.
    """
    if LoginStep.PASSWORD not in proven:
        return LoginStep.PASSWORD
    if account.totp_enabled and LoginStep.SECOND_FACTOR not in proven:
        return LoginStep.SECOND_FACTOR
    if account.must_change_password or password_expired(account.password_changed_at, now, policy):
        return LoginStep.CHANGE_PASSWORD
    if account.totp_required and not account.totp_enabled:
        return LoginStep.ENROL_SECOND_FACTOR
    return None


@dataclass(frozen=True)
class ResumedSession:
    session: WebSession
    principal: Principal


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(uow_factory, account: Account, source: str, now: datetime.datetime) -> str:
    """Open a session for a person who has passed every step; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with uow_factory() as uow:
        session_id = uow.sessions.add(token_digest(token), account.id, source[:64], now)
        record(uow, Actor(account.username, source), "session.start", SESSION_AUDIT_TARGET, str(session_id))
        uow.commit()
    return token


def resume_session(uow_factory, token: str, source: str, now: datetime.datetime,
                   policy: SessionPolicy, activity: bool = True) -> ResumedSession | None:
    """The session and who it acts for, or None when it is unknown, over, or its account disabled.

    A session found idle or expired is ended (and audited) here, the first time it is presented after.
    A request that is not the person's doing (`activity` False: a page's live updates) does not keep it alive.
    """
    with uow_factory(read_only=True, consistent=False) as uow:
        session = uow.sessions.find(token_digest(token))
        account = None if session is None else uow.accounts.get_by_id(session.user_id)
    if session is None or account is None:
        return None
    reason = end_reason(session, now, policy) or ("disabled" if account.disabled else None)
    if reason is not None:
        if reason != "ended":
            end_session(uow_factory, session.id, Actor(account.username, source), now, reason)
        return None
    if activity and needs_touch(session, now):
        with uow_factory() as uow:
            uow.sessions.touch(session.id, now)
            uow.commit()
    return ResumedSession(session, principal_for(account, source))


def principal_for(account: Account, source: str) -> Principal:
    return Principal(account.username, account.display_name, account.roles, allowed_actions(account.roles),
                     account.scope, source)


def end_session(uow_factory, session_id: int, actor: Actor, now: datetime.datetime, reason: str) -> None:
    """End a session (sign-out, idle, expired, disabled); audited once even if two requests race."""
    with uow_factory() as uow:
        if uow.sessions.end(session_id, now, reason):
            record(uow, actor, "session.end", SESSION_AUDIT_TARGET, str(session_id), {"reason": reason})
        uow.commit()


def end_sessions_of(uow, user_id: int, username: str, actor: Actor, now: datetime.datetime, reason: str) -> None:
    """Inside a unit of work: end every open session of a user (disabled, password reset)."""
    ended = uow.sessions.end_all_for(user_id, now, reason)
    if ended:
        record(uow, actor, "session.end_all", "user", username, {"reason": reason, "sessions": ended})


@dataclass(frozen=True)
class ThrottlePolicy:
    attempts: int = 20
    window_minutes: int = 5


def throttle_login(uow_factory, source: str, now: datetime.datetime, policy: ThrottlePolicy) -> int | None:
    """Count a login attempt from `source`; the seconds to wait when it is over the limit, else None.

    This limits guessing across many accounts from one address; the per-account lockout limits one account.
    """
    window = datetime.timedelta(minutes=policy.window_minutes)
    with uow_factory() as uow:
        attempts = uow.sessions.count_attempt(source[:64], now, window)
        if attempts > policy.attempts:
            record(uow, Actor("(throttled)", source), "login.failure", "source", source[:64],
                   {"reason": "too many attempts from this address", "attempts": attempts}, result="failure")
        uow.commit()
    return int(window.total_seconds()) if attempts > policy.attempts else None
