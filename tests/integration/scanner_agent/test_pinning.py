"""The box's agent trusts exactly the console's certificate: an imported one that names the console only as people
reach it still lets the agent post to https://localhost; any other certificate is refused, a sibling from the same
CA included. A real TLS server on loopback."""

import socket
import ssl
import threading

import pytest

from appliance.domain.errors import InvalidInputError
from scanner_agent.pinning import pinned_context
from tests.support.certificates import issue


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str = "localhost") -> bytes:
    """One TLS connection over loopback; returns what the server sent."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        answered = threading.Thread(target=_answer_once, args=(listener, server), daemon=True)
        answered.start()
        try:
            with (socket.create_connection(listener.getsockname(), timeout=10) as raw,
                  client.wrap_socket(raw, server_hostname=server_hostname) as connection):
                return connection.recv(2)
        finally:
            answered.join(10)


def _answer_once(listener: socket.socket, context: ssl.SSLContext) -> None:
    connection, _ = listener.accept()
    try:
        with context.wrap_socket(connection, server_side=True) as secured:
            secured.sendall(b"ok")
    except (ssl.SSLError, OSError):
        pass  # the client refused the certificate


def serving(certificate, key) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context


@pytest.fixture
def imported(tmp_path):
    """The archive's CA, the console's certificate it issued (with the CA in the file, as IT hands it over), and
    a sibling the same CA issued for another server."""
    authority = issue(["Archive Root CA"], authority=True)
    console = issue(["dangan.archive.example.cn"], issuer=authority)
    sibling = issue(["mail.archive.example.cn", "localhost"], issuer=authority)
    return {"authority": authority, "console": console.write(tmp_path, "console", chain=(authority,)),
            "sibling": sibling.write(tmp_path, "sibling"), "tmp": tmp_path}


def test_the_pinned_console_certificate_is_trusted_whatever_it_names(imported):
    certificate, key = imported["console"]
    assert handshake(serving(certificate, key), pinned_context(certificate)) == b"ok"
    by_name = ssl.create_default_context(cafile=str(certificate))  # what trusting it by name would do
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        handshake(serving(certificate, key), by_name)


def test_any_other_certificate_is_refused_a_sibling_from_the_same_ca_too(imported):
    console, _ = imported["console"]
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(serving(*imported["sibling"]), pinned_context(console))
    stranger = issue(["localhost", "127.0.0.1"]).write(imported["tmp"], "stranger")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(serving(*stranger), pinned_context(console))


def test_a_file_without_a_certificate_is_refused_clearly(tmp_path):
    _, key = issue(["localhost"]).write(tmp_path, "console")
    with pytest.raises(InvalidInputError, match="holds no PEM certificate"):
        pinned_context(key)
    with pytest.raises(OSError):
        pinned_context(tmp_path / "missing.crt")
