"""Account repository: users, their roles, lockout state and password history."""

import datetime

from sqlalchemy import bindparam, delete, literal, select, union_all, update
from sqlalchemy.orm import Session

from appliance.adapters.db.tables import PasswordHistoryRow, UserDepartmentRow, UserRoleRow, UserRow, as_utc
from appliance.domain.accounts import Account, LockoutState, Role
from appliance.domain.catalogue import AccessLabel


class AccountRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, username: str, for_update: bool = False) -> Account | None:
        """The account, or None; `for_update` locks its row until the unit of work ends (PostgreSQL)."""
        query = select(UserRow).where(UserRow.username == username)
        row = self.session.scalars(query.with_for_update() if for_update else query).one_or_none()
        return None if row is None else self._account(row, self._roles(row.id), self._departments(row.id))

    def get_by_id(self, user_id: int) -> Account | None:
        """The account in two round trips of prebuilt statements: every request of a session asks for it."""
        connection = self.session.connection()
        row = connection.execute(_USER_BY_ID, {"user_id": user_id}).first()
        if row is None:
            return None
        grants = connection.execute(_GRANTS_OF_USER, {"user_id": user_id}).all()
        roles = frozenset(Role(value) for kind, value in grants if kind == "role")
        return self._account(row, roles, _scope(value for kind, value in grants if kind == "department"))

    def list_accounts(self) -> list[Account]:
        roles: dict[int, set[Role]] = {}
        for user_id, role in self.session.execute(select(UserRoleRow.user_id, UserRoleRow.role)):
            roles.setdefault(user_id, set()).add(Role(role))
        departments: dict[int, set[str]] = {}
        for user_id, code in self.session.execute(select(UserDepartmentRow.user_id, UserDepartmentRow.department)):
            departments.setdefault(user_id, set()).add(code)
        rows = self.session.scalars(select(UserRow).order_by(UserRow.username))
        return [self._account(row, frozenset(roles.get(row.id, ())), _scope(departments.get(row.id)))
                for row in rows]

    def add(self, username: str, display_name: str, password_hash: str, roles: frozenset[Role],
            now: datetime.datetime) -> Account:
        """Insert a user who must change the initial password; the hash also starts the history."""
        row = UserRow(username=username, display_name=display_name, password_hash=password_hash, clearance="公开",
                      password_changed_at=now, must_change_password=True, failed_logins=0, disabled=False,
                      created_at=now)
        self.session.add(row)
        self.session.flush()
        self.set_roles(row.id, roles)
        self.session.add(PasswordHistoryRow(user_id=row.id, hash=password_hash, changed_at=now))
        self.session.flush()
        return self._account(row, roles, None)

    def set_roles(self, user_id: int, roles: frozenset[Role]) -> None:
        self.session.execute(delete(UserRoleRow).where(UserRoleRow.user_id == user_id))
        self.session.add_all(UserRoleRow(user_id=user_id, role=role.value) for role in sorted(roles))
        self.session.flush()

    def set_password(self, user_id: int, password_hash: str, now: datetime.datetime, must_change: bool,
                     keep_history: int) -> None:
        """Store a new password, add it to the history and keep only the newest `keep_history` hashes."""
        self._update(user_id, password_hash=password_hash, password_changed_at=now, must_change_password=must_change)
        self.session.add(PasswordHistoryRow(user_id=user_id, hash=password_hash, changed_at=now))
        self.session.flush()
        kept = select(PasswordHistoryRow.id).where(PasswordHistoryRow.user_id == user_id).order_by(
            PasswordHistoryRow.id.desc()).limit(keep_history)
        self.session.execute(delete(PasswordHistoryRow).where(
            PasswordHistoryRow.user_id == user_id, PasswordHistoryRow.id.not_in(kept.scalar_subquery())))

    def replace_hash(self, user_id: int, password_hash: str) -> None:
        """The same password hashed with newer parameters; its age and history stay as they are."""
        self._update(user_id, password_hash=password_hash)

    def recent_hashes(self, user_id: int, count: int) -> list[str]:
        """The hashes of the user's last `count` passwords, newest first (the current one included)."""
        query = select(PasswordHistoryRow.hash).where(PasswordHistoryRow.user_id == user_id).order_by(
            PasswordHistoryRow.id.desc()).limit(count)
        return list(self.session.scalars(query))

    def set_lockout(self, user_id: int, state: LockoutState) -> None:
        self._update(user_id, failed_logins=state.failures, locked_until=state.locked_until)

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        self._update(user_id, disabled=disabled)

    def set_scope(self, user_id: int, clearance: AccessLabel, departments: frozenset[str] | None) -> None:
        """Clearance and department scope; None for departments: every department."""
        self._update(user_id, clearance=clearance.value)
        self.session.execute(delete(UserDepartmentRow).where(UserDepartmentRow.user_id == user_id))
        self.session.add_all(UserDepartmentRow(user_id=user_id, department=code) for code in sorted(departments or ()))
        self.session.flush()

    def set_totp(self, user_id: int, *, secret: str | None, pending: str | None, last_step: int | None) -> None:
        self._update(user_id, totp_secret=secret, totp_pending=pending, totp_last_step=last_step)

    def set_totp_pending(self, user_id: int, pending: str | None) -> None:
        self._update(user_id, totp_pending=pending)

    def set_totp_last_step(self, user_id: int, step: int) -> None:
        self._update(user_id, totp_last_step=step)

    def _update(self, user_id: int, **values) -> None:
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(**values))

    def _roles(self, user_id: int) -> frozenset[Role]:
        query = select(UserRoleRow.role).where(UserRoleRow.user_id == user_id)
        return frozenset(Role(role) for role in self.session.scalars(query))

    def _departments(self, user_id: int) -> frozenset[str] | None:
        query = select(UserDepartmentRow.department).where(UserDepartmentRow.user_id == user_id)
        return _scope(self.session.scalars(query))

    @staticmethod
    def _account(row: UserRow, roles: frozenset[Role], departments: frozenset[str] | None) -> Account:
        return Account(
            id=row.id, username=row.username, display_name=row.display_name, roles=frozenset(roles),
            password_changed_at=as_utc(row.password_changed_at), must_change_password=row.must_change_password,
            disabled=row.disabled, created_at=as_utc(row.created_at),
            lockout=LockoutState(row.failed_logins, as_utc(row.locked_until) if row.locked_until else None),
            password_hash=row.password_hash, clearance=AccessLabel(row.clearance), departments=departments,
            totp_secret=row.totp_secret or "", totp_pending=row.totp_pending or "", totp_last_step=row.totp_last_step,
        )


def _scope(codes) -> frozenset[str] | None:
    chosen = frozenset(codes or ())
    return chosen or None  # no rows: not limited to departments


_USER_BY_ID = select(UserRow.__table__).where(UserRow.__table__.c.id == bindparam("user_id"))
_GRANTS_OF_USER = union_all(
    select(literal("role").label("kind"), UserRoleRow.role.label("value"))
    .where(UserRoleRow.user_id == bindparam("user_id")),
    select(literal("department").label("kind"), UserDepartmentRow.department.label("value"))
    .where(UserDepartmentRow.user_id == bindparam("user_id")),
)
