"""Secrets kept in the data home: made once, readable by the service user only."""

import os
import secrets
from pathlib import Path


def ensure_token_file(path: Path) -> str:
    """Return the token in `path`, creating it (mode 0600, written atomically) when missing."""
    if path.is_file():
        return read_token_file(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    temp = path.with_name(path.name + ".tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return token


def read_token_file(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()
