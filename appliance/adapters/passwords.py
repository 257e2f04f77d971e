"""Password hashing with argon2id (argon2-cffi).

argon2-cffi's defaults (RFC 9106's low-memory profile): argon2id, time cost 3, memory 64 MiB, parallelism 4,
32-byte hash, 16-byte random salt. The parameters travel inside each hash, so raising them later still verifies
old hashes, and `needs_rehash` says which to upgrade at the next successful login.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


class Argon2Passwords:
    """The password port the account services take: argon2id with today's parameters, or those of `hasher`."""

    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher or _HASHER

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
