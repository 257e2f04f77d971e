"""One check per answer, shared by the answers file and the interactive prompts: each returns the clean value or
raises InvalidInputError saying why, so a prompt can ask again with the reason."""

import base64
import functools
import ipaddress
import re
import zoneinfo
from collections.abc import Iterable

from appliance.adapters.ssh_twin import parse_repository
from appliance.domain.accounts import (
    ADMINISTRATOR_ROLES,
    PasswordPolicy,
    Role,
    check_display_name,
    check_password,
    check_username,
    parse_role,
)
from appliance.domain.errors import InvalidInputError

HOSTNAME_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
PUBLIC_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
PUBLIC_KEY_LINE = re.compile(r"(?P<type>[a-z0-9@.-]+) (?P<blob>[A-Za-z0-9+/]+={0,3})(?: (?P<comment>[^\r\n]*))?")


def check_hostname(text: str) -> str:
    """A host name of one label (a-z, 0-9, '-', at most 63); raises InvalidInputError."""
    name = text.strip().lower()
    if not HOSTNAME_LABEL.fullmatch(name):
        raise InvalidInputError(f"host name {text!r} must be 1-63 characters of a-z, 0-9 and '-', not starting or "
                                "ending with '-' (no dots: the box's .local name is added for you)")
    return name


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA zones of the system's tzdata (read once)."""
    return frozenset(zoneinfo.available_timezones())


def check_timezone(text: str) -> str:
    """An IANA time zone this system knows (Asia/Shanghai); raises InvalidInputError."""
    zone = text.strip()
    if zone not in known_timezones():
        raise InvalidInputError(f"unknown time zone {text!r}: give an IANA name such as Asia/Shanghai")
    return zone


def check_console_name(text: str) -> str:
    """An extra name the console answers to: a DNS name or an IP address; raises InvalidInputError."""
    name = text.strip().lower()
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    labels = name.split(".")
    if len(name) > 253 or not all(HOSTNAME_LABEL.fullmatch(label) for label in labels):
        raise InvalidInputError(f"console name {text!r} is neither an IP address nor a DNS name")
    return name


def check_admin_username(text: str) -> str:
    """An administrator's user name (3-32 of a-z, 0-9, '.', '_', '-'); raises InvalidInputError."""
    return check_username(text)


def check_person_name(text: str) -> str:
    """A person's name (张三); raises InvalidInputError when empty or too long."""
    if not text.strip():
        raise InvalidInputError("the person's name is empty")
    return check_display_name(text, "")


def check_admin_role(text: str) -> Role:
    """One of the three administrator roles (三员); raises InvalidInputError."""
    role = parse_role(text)
    if role not in ADMINISTRATOR_ROLES:
        raise InvalidInputError(f"role {text!r} is not an administrator's: use one of {', '.join(role_names())}")
    return role


def role_names() -> list[str]:
    """The three administrator roles' names, for messages."""
    return sorted(role.value for role in ADMINISTRATOR_ROLES)


def check_given_password(text: str, policy: PasswordPolicy, username: str) -> str:
    """A one-time password the answers give; raises InvalidInputError listing the problems, never the password."""
    return check_password(text, policy, username)


def check_three_administrators(people: Iterable[tuple[str, str, Role]]) -> None:
    """Exactly three people, distinct user names and names, each 三员 role once; raises InvalidInputError."""
    people = list(people)
    if len(people) != 3:
        raise InvalidInputError(f"give exactly three administrators (one per role), not {len(people)}")
    for position, label in ((0, "user name"), (1, "name")):
        seen = [person[position] for person in people]
        repeated = sorted({value for value in seen if seen.count(value) > 1})
        if repeated:
            raise InvalidInputError(f"the {label} {repeated[0]!r} is given twice: three different people are needed "
                                    "(三员分立)")
    missing = sorted(set(ADMINISTRATOR_ROLES) - {person[2] for person in people})
    if missing:
        raise InvalidInputError(f"no administrator has the role {missing[0].value}: each of "
                                f"{', '.join(role_names())} is needed once")


def check_repository(text: str) -> str:
    """A borg repository: ssh://user@host:port/absolute/path or an absolute local path; raises InvalidInputError."""
    location = text.strip()
    parse_repository(location)
    return location


def check_public_key(text: str) -> str:
    """An OpenSSH public key line (type, base64 key, optional comment); raises InvalidInputError."""
    line = " ".join(text.split())
    match = PUBLIC_KEY_LINE.fullmatch(line)
    if match is None or match["type"] not in PUBLIC_KEY_TYPES:
        raise InvalidInputError(f"not an ssh public key line ({', '.join(PUBLIC_KEY_TYPES[:2])} ... KEY comment): "
                                f"{text[:40]!r}")
    try:
        blob = base64.b64decode(match["blob"], validate=True)
    except ValueError:
        raise InvalidInputError(f"the key of {text[:40]!r} is not valid base64") from None
    kind = match["type"].encode("ascii")
    if blob[:4] != len(kind).to_bytes(4, "big") or blob[4:4 + len(kind)] != kind:
        raise InvalidInputError(f"the key of {text[:40]!r} is not a {match['type']} key")
    return line
