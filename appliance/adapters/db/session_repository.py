"""Console sessions, the login throttle and machine API tokens."""

import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import ApiTokenRow, LoginThrottleRow, UserRow, WebSessionRow, as_utc
from appliance.adapters.db.upsert import dialect_insert
from appliance.domain.permissions import Action
from appliance.domain.sessions import ApiToken, WebSession


class SessionRepository:
    def __init__(self, session: Session):
        self.session = session

    # console sessions

    def add(self, token_digest: str, user_id: int, source: str, now: datetime.datetime) -> int:
        row = WebSessionRow(token_digest=token_digest, user_id=user_id, source=source, created_at=now,
                            last_seen_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def find(self, token_digest: str) -> WebSession | None:
        row = self.session.connection().execute(_SESSION_BY_DIGEST, {"digest": token_digest}).first()
        return None if row is None else _web_session(row)

    def touch(self, session_id: int, now: datetime.datetime) -> None:
        self.session.execute(update(WebSessionRow).where(WebSessionRow.id == session_id).values(last_seen_at=now))

    def end(self, session_id: int, now: datetime.datetime, reason: str) -> bool:
        """End a session still open; False if it had already ended (so it is audited once)."""
        result = self.session.execute(
            update(WebSessionRow).where(WebSessionRow.id == session_id, WebSessionRow.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason))
        return result.rowcount == 1

    def end_all_for(self, user_id: int, now: datetime.datetime, reason: str) -> int:
        result = self.session.execute(
            update(WebSessionRow).where(WebSessionRow.user_id == user_id, WebSessionRow.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason))
        return result.rowcount

    # login throttle

    def count_attempt(self, source: str, now: datetime.datetime, window: datetime.timedelta) -> int:
        """Count one attempt from `source`; returns the attempts in its current window, this one included."""
        statement = dialect_insert(self.session, LoginThrottleRow).values(source=source, window_start=now, attempts=1)
        inserted = self.session.execute(statement.on_conflict_do_nothing().returning(LoginThrottleRow.source))
        if inserted.first() is not None:  # rowcount is -1 here on PostgreSQL: ask for the row instead
            return 1
        row = self.session.scalars(select(LoginThrottleRow).where(LoginThrottleRow.source == source)
                                   .with_for_update()).one()
        if now - as_utc(row.window_start) >= window:
            row.window_start, row.attempts = now, 1
        else:
            row.attempts += 1
        self.session.flush()
        return row.attempts

    # API tokens

    def add_token(self, name: str, token_digest: str, prefix: str, user_id: int, scopes: frozenset[Action],
                  now: datetime.datetime, expires_at: datetime.datetime | None) -> int:
        row = ApiTokenRow(name=name, token_digest=token_digest, prefix=prefix, user_id=user_id,
                          scopes=" ".join(sorted(scopes)), created_at=now, expires_at=expires_at)
        self.session.add(row)
        self.session.flush()
        return row.id

    def find_token(self, token_digest: str) -> tuple[ApiToken, int] | None:
        """The token and its owner's user id."""
        query = (select(ApiTokenRow, UserRow.username).join(UserRow, UserRow.id == ApiTokenRow.user_id)
                 .where(ApiTokenRow.token_digest == token_digest))
        found = self.session.execute(query).first()
        return None if found is None else (_api_token(*found), found[0].user_id)

    def get_token(self, token_id: int) -> ApiToken | None:
        query = (select(ApiTokenRow, UserRow.username).join(UserRow, UserRow.id == ApiTokenRow.user_id)
                 .where(ApiTokenRow.id == token_id))
        found = self.session.execute(query).first()
        return None if found is None else _api_token(*found)

    def list_tokens(self) -> list[ApiToken]:
        query = (select(ApiTokenRow, UserRow.username).join(UserRow, UserRow.id == ApiTokenRow.user_id)
                 .order_by(ApiTokenRow.id))
        return [_api_token(row, username) for row, username in self.session.execute(query)]

    def mark_token_used(self, token_id: int, now: datetime.datetime) -> None:
        self.session.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now))

    def revoke_token(self, token_id: int, now: datetime.datetime) -> bool:
        result = self.session.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id,
                                                                ApiTokenRow.revoked_at.is_(None))
                                      .values(revoked_at=now))
        return result.rowcount == 1


_SESSION_BY_DIGEST = select(WebSessionRow.__table__).where(WebSessionRow.token_digest == bindparam("digest"))


def _web_session(row) -> WebSession:
    return WebSession(row.id, row.user_id, row.source, as_utc(row.created_at), as_utc(row.last_seen_at),
                      as_utc(row.ended_at) if row.ended_at else None)


def _api_token(row: ApiTokenRow, username: str) -> ApiToken:
    def moment(value):
        return as_utc(value) if value else None

    return ApiToken(row.id, row.name, row.prefix, username, frozenset(Action(scope) for scope in row.scopes.split()),
                    as_utc(row.created_at), moment(row.expires_at), moment(row.last_used_at), moment(row.revoked_at))
