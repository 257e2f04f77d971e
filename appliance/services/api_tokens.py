"""Machine API tokens: issued for a user and narrowed to scopes, stored as a digest, revocable, audited.

A token acts for its owner and never for more: its actions are its scopes that the owner's roles still allow at
the moment of use, and it sees only what the owner sees.
"""

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from appliance.domain.accounts import ADMINISTRATOR_ROLES
from appliance.domain.actors import Actor
from appliance.domain.errors import ConflictError, InvalidInputError, NotFoundError
from appliance.domain.permissions import MATRIX, Action, allowed_actions
from appliance.domain.sessions import ApiToken, Principal
from appliance.services.accounts import require_account
from appliance.services.audit import record

TOKEN_PREFIX = "dgn_"
# What only the three administrators may do (what a business role may do too stays allowed).
ADMINISTRATION_ACTIONS = (frozenset().union(*(MATRIX[role] for role in ADMINISTRATOR_ROLES))
                          - frozenset().union(*(actions for role, actions in MATRIX.items()
                                                if role not in ADMINISTRATOR_ROLES)))
USE_RECORD_INTERVAL = datetime.timedelta(minutes=1)  # last_used_at is written at most this often
MAX_NAME = 100


def issue_token(uow_factory, actor: Actor, username: str, name: str, scopes: Iterable[str],
                now: datetime.datetime, valid_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `username`; returns it with the secret, which is shown once and never stored.

    Raises InvalidInputError for an empty name, an unknown scope or one the owner's roles do not allow,
    NotFoundError for an unknown user.
    """
    name = _check_name(name)
    chosen = _parse_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + datetime.timedelta(days=valid_days) if valid_days else None
    with uow_factory() as uow:
        owner = require_account(uow, username)
        beyond = chosen - allowed_actions(owner.roles)
        if beyond:
            raise InvalidInputError(f"user {owner.username} may not {', '.join(sorted(beyond))}: "
                                    "a token never does more than its owner")
        administrative = chosen & ADMINISTRATION_ACTIONS
        if administrative:
            raise InvalidInputError(f"{', '.join(sorted(administrative))}: administration is done by a person "
                                    "signed in with a second factor, never by a token")
        token_id = uow.sessions.add_token(name, _digest(secret), secret[len(TOKEN_PREFIX):][:8], owner.id, chosen,
                                          now, expires_at)
        record(uow, actor, "token.issue", "token", str(token_id),
               {"name": name, "user": owner.username, "scopes": sorted(chosen),
                "expires_at": expires_at.isoformat() if expires_at else None})
        uow.commit()
        return uow.sessions.get_token(token_id), secret


def list_tokens(uow_factory) -> list[ApiToken]:
    with uow_factory(read_only=True) as uow:
        return uow.sessions.list_tokens()


def revoke_token(uow_factory, actor: Actor, token_id: int, now: datetime.datetime) -> None:
    """Revoke a token at once; raises NotFoundError, or ConflictError if it was already revoked."""
    with uow_factory() as uow:
        token = uow.sessions.get_token(token_id)
        if token is None:
            raise NotFoundError(f"no token {token_id}")
        if not uow.sessions.revoke_token(token_id, now):
            raise ConflictError(f"token {token_id} ({token.name}) was already revoked")
        record(uow, actor, "token.revoke", "token", str(token_id), {"name": token.name, "user": token.username})
        uow.commit()


def resolve_token(uow_factory, secret: str, source: str, now: datetime.datetime) -> Principal | None:
    """Who a presented token acts for, or None when it is unknown, revoked, expired or its owner disabled."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    with uow_factory(read_only=True, consistent=False) as uow:
        found = uow.sessions.find_token(_digest(secret))
        owner = None if found is None else uow.accounts.get_by_id(found[1])
    if found is None or owner is None or owner.disabled or not found[0].usable_at(now):
        return None
    token = found[0]
    if token.last_used_at is None or now - token.last_used_at >= USE_RECORD_INTERVAL:
        with uow_factory() as uow:
            uow.sessions.mark_token_used(token.id, now)
            uow.commit()
    actions = token.scopes & allowed_actions(owner.roles)
    return Principal(owner.username, f"{owner.display_name} ({token.name})", owner.roles, actions, owner.scope,
                     source, via="token")


def _digest(secret: str) -> str:
    # The secret has 256 random bits: a plain digest is enough; a slow hash would only slow every API call.
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInputError(f"a token needs a name of 1 to {MAX_NAME} characters, e.g. the machine it is for")
    return name


def _parse_scopes(scopes: Iterable[str]) -> frozenset[Action]:
    chosen = set()
    for text in scopes:
        try:
            chosen.add(Action(text.strip()))
        except ValueError:
            raise InvalidInputError(f"unknown scope {text!r}; scopes are actions such as item.read") from None
    if not chosen:
        raise InvalidInputError("a token needs at least one scope")
    return frozenset(chosen)
