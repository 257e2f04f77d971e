"""Secrets kept in the data home: made once, readable by the service user only."""

import os
import secrets
from pathlib import Path


def ensure_token_file(path: Path) -> str:
    """Return the token in `path`, creating it (mode 0600) when missing.

    The file is written whole under a private name and then linked in, never replaced: processes that race to
    make it (the web workers at first start) all end up with the one token that won.
    """
    if path.is_file():
        return read_token_file(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()
    return read_token_file(path)


def read_token_file(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I to misread


def random_password(length: int = 16) -> str:
    """A one-time initial password with all four character classes, readable from a screen."""
    body = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length - 4))
    return f"{body[:6]}-{secrets.choice('abcdefghjk')}{secrets.choice('ABCDEFGHJK')}{secrets.randbelow(10)}{body[6:]}"


def write_private_file(path: Path, text: str) -> None:
    """Write a file only the service user may read (mode 0600), durably."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
