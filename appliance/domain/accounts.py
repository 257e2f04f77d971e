"""Accounts under 等保2.0 level 3: roles and 三员分立, usernames, the password policy and lockout."""

import datetime
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from appliance.domain.access import AccessScope
from appliance.domain.catalogue import AccessLabel
from appliance.domain.errors import InvalidInputError


class Role(enum.StrEnum):
    """The three administrators (三员) and the business roles."""

    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"
    ARCHIVIST = "archivist"
    APPROVER = "approver"
    READER = "reader"
    OPERATOR = "operator"

    @property
    def is_administrator(self) -> bool:
        return self in ADMINISTRATOR_ROLES

    def label(self, language: str = "zh") -> str:
        """The role's name in `zh` or `en`."""
        chinese, english = ROLE_LABELS[self]
        return english if language.startswith("en") else chinese


ADMINISTRATOR_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
ROLE_LABELS = {
    Role.SYSTEM_ADMIN: ("系统管理员", "System administrator"),
    Role.SECURITY_ADMIN: ("安全保密管理员", "Security administrator"),
    Role.AUDIT_ADMIN: ("安全审计员", "Audit administrator"),
    Role.ARCHIVIST: ("档案员", "Archivist"),
    Role.APPROVER: ("审批人", "Approver"),
    Role.READER: ("利用者", "Reader"),
    Role.OPERATOR: ("扫描操作员", "Scanner operator"),
}


def parse_role(text: str) -> Role:
    """Accept a role's name (archivist) or its Chinese label (档案员); raises InvalidInputError."""
    value = text.strip()
    for role in Role:
        if value.lower() == role.value or value == role.label("zh"):
            return role
    known = ", ".join(role.value for role in Role)
    raise InvalidInputError(f"unknown role {value!r} (known: {known})")


def check_roles(roles: Iterable[Role | str]) -> frozenset[Role]:
    """Validate a set of roles under 三员分立; raises InvalidInputError naming the clash."""
    chosen = frozenset(role if isinstance(role, Role) else parse_role(role) for role in roles)
    if not chosen:
        raise InvalidInputError("a user needs at least one role")
    administrators = sorted(chosen & ADMINISTRATOR_ROLES)
    if len(administrators) > 1:
        names = " and ".join(role.value for role in administrators)
        raise InvalidInputError(f"roles {names} are separate duties (三员分立): one person holds at most one")
    if administrators and len(chosen) > 1:
        others = ", ".join(sorted(role.value for role in chosen - ADMINISTRATOR_ROLES))
        raise InvalidInputError(
            f"an administrator ({administrators[0].value}) holds no other role (三员分立), not also {others}"
        )
    return chosen


USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{2,31}")
MAX_DISPLAY_NAME = 200


def normalise_username(text: str) -> str:
    """Usernames compare without case or surrounding spaces."""
    return text.strip().lower()


def check_username(text: str) -> str:
    """Return the normalised username; raises InvalidInputError unless it is 3-32 of [a-z0-9._-] from a letter."""
    username = normalise_username(text)
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInputError(
            f"user name {text!r} must be 3-32 characters of a-z, 0-9, '.', '_', '-', starting with a letter"
        )
    return username


def check_display_name(text: str, username: str) -> str:
    """The display name, or the username when none is given; raises InvalidInputError when too long."""
    name = text.strip() or username
    if len(name) > MAX_DISPLAY_NAME:
        raise InvalidInputError(f"display name is {len(name)} characters long; at most {MAX_DISPLAY_NAME} allowed")
    return name


@dataclass(frozen=True)
class PasswordPolicy:
    """Length, character classes (of lower, upper, digit, other), expiry (0: never) and history depth."""

    min_length: int = 8
    min_classes: int = 3
    expiry_days: int = 90
    history: int = 5

    def __post_init__(self) -> None:
        if self.min_length < 1 or not 1 <= self.min_classes <= 4 or self.expiry_days < 0 or self.history < 1:
            raise InvalidInputError(f"password policy out of range: {self}")


MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; a ceiling keeps a hostile login cheap to refuse


def character_classes(password: str) -> int:
    """How many of the four classes (lower case, upper case, digit, other) the password uses."""
    classes = {_character_class(character) for character in password}
    return len(classes)


def _character_class(character: str) -> str:
    # Chinese characters are neither upper nor lower case: they count as "other", like punctuation.
    if character.isdigit():
        return "digit"
    if character.islower():
        return "lower"
    if character.isupper():
        return "upper"
    return "other"


def password_problems(password: str, policy: PasswordPolicy, username: str) -> list[str]:
    """Every way the password breaks the policy, in words; empty when it is acceptable."""
    if not password:
        return ["the password is empty"]
    problems = []
    if len(password) < policy.min_length:
        problems.append(f"it is shorter than {policy.min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"it is longer than {MAX_PASSWORD_LENGTH} characters")
    classes = character_classes(password)
    if classes < policy.min_classes:
        problems.append(
            f"it uses {classes} of the 4 character classes (lower case, upper case, digits, others); "
            f"at least {policy.min_classes} are needed"
        )
    if username and normalise_username(username) in password.lower():
        problems.append("it contains the user name")
    if len(set(password)) == 1:
        problems.append("it is one character repeated")
    return problems


def check_password(password: str, policy: PasswordPolicy, username: str) -> str:
    """Return the password if the policy accepts it; raises InvalidInputError listing every problem."""
    problems = password_problems(password, policy, username)
    if problems:
        raise InvalidInputError("password refused: " + "; ".join(problems))
    return password


def password_expires_at(changed_at: datetime.datetime, policy: PasswordPolicy) -> datetime.datetime | None:
    """When a password set at `changed_at` expires; None when the policy sets no expiry."""
    if policy.expiry_days == 0:
        return None
    return changed_at + datetime.timedelta(days=policy.expiry_days)


def password_expired(changed_at: datetime.datetime, now: datetime.datetime, policy: PasswordPolicy) -> bool:
    expires_at = password_expires_at(changed_at, policy)
    return expires_at is not None and now >= expires_at


@dataclass(frozen=True)
class LockoutPolicy:
    """Lock an account for `lock_minutes` after `max_failures` failed logins in a row."""

    max_failures: int = 5
    lock_minutes: int = 15

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lock_minutes < 1:
            raise InvalidInputError(f"lockout policy out of range: {self}")


@dataclass(frozen=True)
class LockoutState:
    """Failed logins in a row since the last success or lock, and the end of the current lock."""

    failures: int = 0
    locked_until: datetime.datetime | None = None

    def locked_at(self, now: datetime.datetime) -> datetime.datetime | None:
        """The end of the lock in force at `now`, or None when the account is not locked."""
        if self.locked_until is not None and now < self.locked_until:
            return self.locked_until
        return None


def after_failure(state: LockoutState, now: datetime.datetime, policy: LockoutPolicy) -> LockoutState:
    """The state after one more failed login: the failure that reaches the limit starts a lock.

    The count restarts when a lock starts, so a lock that has run out gives the full allowance again.
    """
    if state.locked_at(now) is not None:
        return state  # attempts during a lock are refused unchecked; they neither count nor extend it
    failures = state.failures + 1
    if failures >= policy.max_failures:
        return LockoutState(0, now + datetime.timedelta(minutes=policy.lock_minutes))
    return LockoutState(failures, None)


@dataclass(frozen=True)
class Account:
    """A user account as stored; the password hash never appears in a repr."""

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    password_changed_at: datetime.datetime
    must_change_password: bool
    disabled: bool
    created_at: datetime.datetime
    lockout: LockoutState = LockoutState()
    password_hash: str = field(default="", repr=False)
    clearance: AccessLabel = AccessLabel.PUBLIC
    departments: frozenset[str] | None = None  # None: every department
    totp_secret: str = field(default="", repr=False)  # sealed; empty until a second factor is confirmed
    totp_pending: str = field(default="", repr=False)  # sealed; offered at enrolment, not yet confirmed
    totp_last_step: int | None = None

    @property
    def scope(self) -> AccessScope:
        return AccessScope(self.clearance, self.departments)

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret)

    @property
    def totp_required(self) -> bool:
        """The three administrators must sign in with a second factor; others may choose to."""
        return self.totp_enabled or any(role.is_administrator for role in self.roles)


class LoginStatus(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"  # unknown user, wrong password or disabled account: the caller cannot tell which
    LOCKED = "locked"
    MUST_CHANGE_PASSWORD = "must_change_password"
    EXPIRED = "expired"


WRONG_CREDENTIALS = "wrong user name or password"


@dataclass(frozen=True)
class LoginOutcome:
    """What a login attempt came to; `account` is set only when the password was right."""

    status: LoginStatus
    message: str
    account: Account | None = None
    locked_until: datetime.datetime | None = None

    @property
    def password_accepted(self) -> bool:
        return self.account is not None
