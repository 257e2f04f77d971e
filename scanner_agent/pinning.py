"""Trusting exactly the console's own certificate, whatever names it holds.

The box's agent posts to its own console on loopback. A certificate the archive's IT imported names the console as
people reach it (dangan.archive.example.cn), not as localhost, so checking the name would refuse the one server the
agent should trust. Pinned instead: the peer must present this very certificate and prove it holds its key.
"""

import re
import ssl
from pathlib import Path

from appliance.domain.errors import InvalidInputError

_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")


def pinned_context(certificate: Path) -> ssl.SSLContext:
    """A TLS client context trusting only the first certificate in `certificate` (a PEM file, chain or not).

    Raises OSError when the file cannot be read, InvalidInputError when it holds no PEM certificate.
    """
    found = _PEM_CERTIFICATE.search(certificate.read_text(encoding="ascii", errors="replace"))
    if found is None:
        raise InvalidInputError(f"{certificate} holds no PEM certificate to trust")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=found.group())
    # the leaf alone is the trust anchor (not its issuer: a CA's other certificates must not pass)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.check_hostname = False  # the certificate itself is pinned; the name it is reached by cannot matter
    return context
