"""The console's TLS certificate: self-signed for the box's names, or imported; PEM, with a key that matches."""

import datetime
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from appliance.domain.errors import InvalidInputError

VALID_YEARS = 10
PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
PEM_KEY_MARKERS = (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN EC PRIVATE KEY-----",
                   b"-----BEGIN RSA PRIVATE KEY-----")


@dataclass(frozen=True)
class TlsPair:
    """A certificate and its private key, both PEM; the key never appears in a repr."""

    certificate: bytes
    key: bytes = field(repr=False)


def load_pair(paths: tuple[Path, Path]) -> TlsPair:
    """Read a certificate and key file and check them; raises InvalidInputError saying what is wrong."""
    certificate_path, key_path = paths
    pair = TlsPair(_read(certificate_path), _read(key_path))
    check_pair(pair, f"{certificate_path.name} and {key_path.name}")
    return pair


def check_pair(pair: TlsPair, what: str = "the certificate and key") -> x509.Certificate:
    """Both PEM, the key unencrypted and matching the certificate; raises InvalidInputError."""
    if not pair.certificate.lstrip().startswith(PEM_CERTIFICATE):
        raise InvalidInputError(f"{what}: the certificate is not PEM (-----BEGIN CERTIFICATE-----)")
    if not pair.key.lstrip().startswith(PEM_KEY_MARKERS):
        raise InvalidInputError(f"{what}: the key is not an unencrypted PEM private key")
    try:
        certificate = x509.load_pem_x509_certificate(pair.certificate)
        key = serialization.load_pem_private_key(pair.key, password=None)
    except (ValueError, TypeError) as error:
        raise InvalidInputError(f"{what}: cannot be read: {error}") from None
    if _public_bytes(key.public_key()) != _public_bytes(certificate.public_key()):
        raise InvalidInputError(f"{what} do not match: the key is not the certificate's")
    return certificate


def make_self_signed(hostname: str, extra_names: tuple[str, ...] = (),
                     now: datetime.datetime | None = None) -> TlsPair:
    """A new EC P-256 key and a certificate for hostname, hostname.local, localhost and the extra names, valid 10 years.

    localhost is named because the box's own scanner agent posts to https://localhost and checks this certificate.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dangan appliance")])
    names = _alternative_names((hostname, f"{hostname}.local", "localhost", *extra_names))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # a clock a little behind still accepts it
        .not_valid_after(now + datetime.timedelta(days=365 * VALID_YEARS + 3))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return TlsPair(certificate.public_bytes(serialization.Encoding.PEM), key_pem)


def fingerprint(certificate_pem: bytes) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it (AB:CD:...)."""
    digest = x509.load_pem_x509_certificate(certificate_pem).fingerprint(hashes.SHA256())
    return ":".join(f"{byte:02X}" for byte in digest)


def alternative_names(certificate_pem: bytes) -> list[str]:
    """The DNS names and IP addresses a certificate is valid for."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*extension.get_values_for_type(x509.DNSName),
            *(str(address) for address in extension.get_values_for_type(x509.IPAddress))]


def _alternative_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    unique = list(dict.fromkeys(names))
    general = []
    for name in unique:
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            general.append(x509.DNSName(name))
    return general


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInputError(f"{path}: cannot be read: {error.strerror}") from None
