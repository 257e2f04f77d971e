"""Console sessions and machine tokens: when a session ends, and who a request acts for."""

import datetime
from dataclasses import dataclass

from appliance.domain.access import AccessScope
from appliance.domain.accounts import Role
from appliance.domain.actors import Actor
from appliance.domain.errors import ForbiddenError
from appliance.domain.permissions import Action


@dataclass(frozen=True)
class SessionPolicy:
    """A session ends after `idle_minutes` without a request, and `max_hours` after sign-in in any case."""

    idle_minutes: int = 15
    max_hours: int = 12


@dataclass(frozen=True)
class WebSession:
    id: int
    user_id: int
    source: str
    created_at: datetime.datetime
    last_seen_at: datetime.datetime
    ended_at: datetime.datetime | None = None


def end_reason(session: WebSession, now: datetime.datetime, policy: SessionPolicy) -> str | None:
    """Why the session is over at `now` ("ended", "idle", "expired"), or None while it is good."""
    if session.ended_at is not None:
        return "ended"
    if now - session.last_seen_at >= datetime.timedelta(minutes=policy.idle_minutes):
        return "idle"
    if now - session.created_at >= datetime.timedelta(hours=policy.max_hours):
        return "expired"
    return None


TOUCH_INTERVAL = datetime.timedelta(seconds=30)  # last_seen is written at most this often: reads stay reads


def needs_touch(session: WebSession, now: datetime.datetime) -> bool:
    return now - session.last_seen_at >= TOUCH_INTERVAL


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a person through a console session, or a machine through an API token."""

    username: str
    display_name: str
    roles: frozenset[Role]
    actions: frozenset[Action]  # the roles' actions; for a token, narrowed to its scopes
    scope: AccessScope
    source: str
    via: str = "session"  # or "token"

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.source)

    def may(self, action: Action) -> bool:
        return action in self.actions

    def require(self, action: Action) -> None:
        """Raise ForbiddenError naming the action unless this principal may do it."""
        if action not in self.actions:
            raise ForbiddenError(f"{self.username} may not {action.value}")


@dataclass(frozen=True)
class ApiToken:
    """A machine's token as listed: never the secret, only its first characters."""

    id: int
    name: str
    prefix: str
    username: str
    scopes: frozenset[Action]
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = None
    last_used_at: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None

    def usable_at(self, now: datetime.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
