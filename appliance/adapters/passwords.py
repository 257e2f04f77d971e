"""Password hashing with argon2id (argon2-cffi).

argon2-cffi's defaults (RFC 9106's low-memory profile): argon2id, time cost 3, memory 64 MiB, parallelism 4,
32-byte hash, 16-byte random salt. The parameters travel inside each hash, so raising them later still verifies
old hashes, and `needs_rehash` says which to upgrade at the next successful login.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of the password with a fresh salt, in the PHC string format."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; False for a wrong password or a malformed hash, never an exception.

    argon2-cffi compares the computed and stored digests in constant time.
    """
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):  # a mismatch is a VerificationError
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (upgrade it after a good login)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


class Argon2Passwords:
    """The password port the account services take, backed by the functions above."""

    def hash(self, password: str) -> str:
        return hash_password(password)

    def verify(self, password_hash: str, password: str) -> bool:
        return verify_password(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return needs_rehash(password_hash)
