"""TOTP codes (RFC 6238, through pyotp) and the sealing of their secrets at rest (AES-GCM, cryptography).

A TOTP secret must be readable by the box to check a code, so it cannot be hashed like a password. It is sealed
with a key kept in a file beside the database rather than in it: a copied database alone opens no second factor.
"""

import base64
import binascii
import datetime
import hmac
import os
from pathlib import Path

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.domain.errors import DanganError

STEP_SECONDS = 30
ALLOWED_DRIFT_STEPS = 1  # a phone's clock a step off, or a code typed as it turns over
SEAL_VERSION = "v1"


class SealError(DanganError):
    code = "sealed_secret"


class TotpCodes:
    """Six-digit codes every 30 seconds, as authenticator apps (FreeOTP, Google Authenticator, 企业微信) make them."""

    def new_secret(self) -> str:
        return pyotp.random_base32()  # 160 bits, the size RFC 4226 recommends

    def matching_step(self, secret: str, code: str, now: datetime.datetime) -> int | None:
        """The time step whose code this is, within the allowed drift; None when it matches none."""
        code = code.strip().replace(" ", "")
        if not (code.isdigit() and len(code) == 6):
            return None
        totp = pyotp.TOTP(secret)
        current = int(now.timestamp()) // STEP_SECONDS
        for step in range(current - ALLOWED_DRIFT_STEPS, current + ALLOWED_DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
                return step
        return None

    def code_at(self, secret: str, now: datetime.datetime) -> str:
        """The code an authenticator shows at `now` (tests and the drill on the enrolment page)."""
        return pyotp.TOTP(secret).at(now)

    def provisioning_uri(self, secret: str, username: str, issuer: str) -> str:
        """The otpauth:// URI an authenticator app scans from a QR code."""
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


class SecretSealer:
    """Seals short secrets with AES-256-GCM under a key file (mode 0600), made on first use."""

    def __init__(self, key_path: Path):
        self.key_path = key_path
        self._key: bytes | None = None

    def seal(self, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self._load_key()).encrypt(nonce, secret.encode(), SEAL_VERSION.encode())
        return f"{SEAL_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret; raises SealError when it was altered or sealed under another key."""
        version, _, body = sealed.partition(":")
        if version != SEAL_VERSION:
            raise SealError(f"sealed secret of unknown version {version!r}")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            return AESGCM(self._load_key()).decrypt(raw[:12], raw[12:], SEAL_VERSION.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise SealError(f"a sealed secret does not open with {self.key_path}: {type(error).__name__}") from None

    def _load_key(self) -> bytes:
        if self._key is None:
            self._key = _read_or_make_key(self.key_path)
        return self._key


def _read_or_make_key(path: Path) -> bytes:
    if not path.exists():
        _make_key(path)
    key = path.read_bytes()
    if len(key) != 32:
        raise SealError(f"{path} is not a 32-byte key")
    return key


def _make_key(path: Path) -> None:
    """Write the key whole under a temporary name, then link it in: a racing process sees all or nothing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(AESGCM.generate_key(bit_length=256))
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the key
    finally:
        temp.unlink()
