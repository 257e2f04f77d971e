"""A small real HTTP server that plays the appliance's intake endpoint for the agent's delivery tests.

It checks the token, decodes the body with the shared wire module, honours the Idempotency-Key (the same key
answers 200 with the first receipt) and can be told, request by request, to fail, refuse, drop the connection
after filing, or hold its answer until released. It can be stopped and started again on the same port.
"""

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from appliance.domain.errors import InvalidInputError
from appliance.domain.intake_manifest import Manifest, check_idempotency_key
from scanner_agent.wire import decode_body
from tests.support.network import free_port

INTAKE_PATH = "/api/v1/intake"
BEHAVIOURS = ("ok", "fail", "refuse", "unauthorised", "drop", "hold")
HOLD_LIMIT_SECONDS = 10.0


@dataclass
class FiledDocument:
    document_id: int
    manifest: Manifest
    pages: dict[str, bytes]
    receipt: dict
    times_filed: int = 1  # 201 answers for this key: must stay 1


@dataclass
class StubState:
    token: str
    plan: list[str] = field(default_factory=list)
    filed: dict[str, FiledDocument] = field(default_factory=dict)
    requests: list[tuple[str | None, int | str]] = field(default_factory=list)  # (key, status or "dropped")
    lock: threading.Lock = field(default_factory=threading.Lock)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class IntakeStub:
    """Start with start() (or as a context manager); `url` is known before it starts, so an agent can be
    pointed at an appliance that is down."""

    def __init__(self, token: str = "agent-token", port: int | None = None):
        self.state = StubState(token)
        self.port = port or free_port()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *behaviours: str) -> None:
        """Behaviours for the next requests, in order; afterwards every request is answered normally."""
        unknown = set(behaviours) - set(BEHAVIOURS)
        assert not unknown, f"unknown stub behaviours {unknown}"
        with self.state.lock:
            self.state.plan.extend(behaviours)

    def start(self) -> "IntakeStub":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        self.state.release.clear()

    def __enter__(self) -> "IntakeStub":
        return self.start()

    def __exit__(self, *exception) -> None:
        self.stop()

    @property
    def filed(self) -> dict[str, FiledDocument]:
        return self.state.filed

    def statuses(self, key: str) -> list[int | str]:
        """What this key was answered, request by request."""
        return [status for request_key, status in self.state.requests if request_key == key]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *arguments):  # keep test output quiet
        pass

    def do_POST(self):
        state: StubState = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key")
        with state.lock:
            behaviour = state.plan.pop(0) if state.plan else "ok"
        if self.path != INTAKE_PATH:
            return self._answer(state, key, 404, {"error": "not_found", "message": self.path})
        if behaviour == "unauthorised" or self.headers.get("Authorization") != f"Bearer {state.token}":
            return self._answer(state, key, 401, {"error": "unauthorised", "message": "bad token"})
        if behaviour in ("fail", "refuse"):
            status, code = (500, "error") if behaviour == "fail" else (422, "invalid_input")
            return self._answer(state, key, status, {"error": code, "message": f"stub told to {behaviour}"})
        try:
            status, receipt = self._file(state, key, body)
        except InvalidInputError as error:
            return self._answer(state, key, 422, {"error": error.code, "message": str(error)})
        self._after_filing(state, key, behaviour, status, receipt)

    def _file(self, state: StubState, key: str | None, body: bytes) -> tuple[int, dict]:
        decoded = decode_body(self.headers.get("Content-Type", ""), body)
        check_idempotency_key(decoded.manifest, key)
        with state.lock:
            if key in state.filed:
                return 200, state.filed[key].receipt
            manifest = decoded.manifest
            receipt = {"document": len(state.filed) + 1, "state": "filed" if manifest.cover_payload else "intake",
                       "archival_code": None, "reason": manifest.problem}
            state.filed[key] = FiledDocument(len(state.filed) + 1, manifest, decoded.pages, receipt)
            return 201, receipt

    def _after_filing(self, state: StubState, key: str, behaviour: str, status: int, receipt: dict) -> None:
        if behaviour == "drop":
            # filed, but the connection closes with no answer: the agent cannot know it was filed
            with state.lock:
                state.requests.append((key, "dropped"))
            self.close_connection = True
            return
        if behaviour == "hold":
            state.held.set()
            state.release.wait(HOLD_LIMIT_SECONDS)
        self._answer(state, key, status, receipt)

    def _answer(self, state: StubState, key: str | None, status: int, payload: dict) -> None:
        with state.lock:
            state.requests.append((key, status))
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the agent gave up waiting (a timeout test) or was killed


def page_digests(document: FiledDocument) -> list[str]:
    """SHA-256 of each received page part, in page order."""
    return [hashlib.sha256(document.pages[page.part]).hexdigest() for page in document.manifest.pages]
