"""Certificates for TLS tests: self-signed, a CA, and leaves it issues, with the names asked for."""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write(self, directory: Path, stem: str, chain: tuple["Issued", ...] = ()) -> tuple[Path, Path]:
        """The certificate (followed by `chain`) and its key as PEM files; returns their paths."""
        certificate_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
        certificate_path.write_bytes(self.pem() + b"".join(link.pem() for link in chain))
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        key_path.chmod(0o600)
        return certificate_path, key_path


def issue(names: list[str], issuer: Issued | None = None, authority: bool = False) -> Issued:
    """A P-256 certificate for `names` (DNS names or IP addresses), valid a day, signed by `issuer` (else by
    itself); `authority` makes it a CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).public_key(key.public_key())
               .issuer_name(issuer.certificate.subject if issuer else subject)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
               .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False))
    return Issued(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
