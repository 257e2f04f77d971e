"""Delivery of outbox documents to the appliance, exactly once thanks to the idempotency key.

A document leaves ready/ only when the appliance answered 201 (filed) or 200 (seen before), or 422 (refused:
kept in refused/). Anything else (the appliance down, 5xx, a refused token, a timeout) is retried with backoff,
oldest document first, so documents arrive in the order they were scanned.
"""

import enum
import http.client
import json
import logging
import random
import ssl
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from appliance.domain.errors import InvalidInputError
from scanner_agent.outbox import Outbox, OutboxEntry, OutboxEntryDamagedError
from scanner_agent.wire import MultipartBody

INTAKE_PATH = "/api/v1/intake"
AGENT_HEADER = "X-Dangan-Agent"  # names the agent in the appliance's audit trail
RECEIPT_STATES = ("filed", "new-item", "intake")
MAX_ANSWER_BYTES = 64 * 1024
IDLE_POLL_SECONDS = 30.0  # a safety net: notify() is how new documents are normally announced
STOP_CHECK_SECONDS = 0.2
logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    RETRY = "retry"


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    message: str
    receipt: dict | None = None
    status: int | None = None


class IntakeClient:
    """Posts one outbox document to the appliance's intake endpoint."""

    def __init__(self, appliance_url: str, token: str, timeout: float = 60.0,
                 ssl_context: ssl.SSLContext | None = None, agent_name: str = ""):
        parts = urllib.parse.urlsplit(appliance_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInputError(f"appliance URL {appliance_url!r} must be http:// or https:// with a host")
        if not token:
            raise InvalidInputError("the agent needs a token to deliver to the appliance")
        self._parts, self._token, self._timeout, self._ssl_context = parts, token, timeout, ssl_context
        self._agent_name = agent_name
        self._path = parts.path.rstrip("/") + INTAKE_PATH

    def deliver(self, entry: OutboxEntry) -> DeliveryResult:
        """Send one document and say what became of it; raises OutboxEntryDamagedError if it cannot be read."""
        body = entry.body()
        try:
            status, answer = self._post(entry.key, body)
        except (OSError, http.client.HTTPException) as error:
            return DeliveryResult(Outcome.RETRY, f"appliance unreachable: {_describe(error)}")
        return interpret_answer(status, answer)

    def _post(self, key: str, body: MultipartBody) -> tuple[int, bytes]:
        connection = self._connect()
        try:
            connection.putrequest("POST", self._path, skip_accept_encoding=True)
            for header, value in (("Authorization", f"Bearer {self._token}"), ("Idempotency-Key", key),
                                  (AGENT_HEADER, self._agent_name),
                                  ("Content-Type", body.content_type), ("Content-Length", str(body.length)),
                                  ("Accept", "application/json")):
                connection.putheader(header, value)
            connection.endheaders()
            self._send(connection, body)
            response = connection.getresponse()
            return response.status, response.read(MAX_ANSWER_BYTES)
        finally:
            connection.close()

    @staticmethod
    def _send(connection: http.client.HTTPConnection, body: MultipartBody) -> None:
        try:
            for chunk in body.chunks():
                connection.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # a server may answer (401, 413) and close before reading the whole body: that answer is the news
            logger.info("appliance closed the connection while the document was being sent")

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname, self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._ssl_context)
        return http.client.HTTPConnection(host, port, timeout=self._timeout)


def interpret_answer(status: int, answer: bytes) -> DeliveryResult:
    """Turn the appliance's status and JSON answer into an outcome (see the module docstring)."""
    if status in (200, 201):
        receipt = _receipt(answer)
        if receipt is None:
            return DeliveryResult(Outcome.RETRY, f"appliance answered {status} without a valid receipt", status=status)
        return DeliveryResult(Outcome.DELIVERED, "replayed" if status == 200 else "filed",
                              {**receipt, "http_status": status}, status)
    if status == 422:
        return DeliveryResult(Outcome.REFUSED, _error_text(answer), status=status)
    if status in (401, 403):
        return DeliveryResult(Outcome.RETRY, f"appliance refused the agent's token (HTTP {status})", status=status)
    return DeliveryResult(Outcome.RETRY, f"appliance answered HTTP {status}: {_error_text(answer)}", status=status)


def _receipt(answer: bytes) -> dict | None:
    try:
        receipt = json.loads(answer)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(receipt, dict) or "document" not in receipt or receipt.get("state") not in RECEIPT_STATES:
        return None
    return receipt


def _error_text(answer: bytes) -> str:
    try:
        message = json.loads(answer).get("message")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        message = None
    text = message if isinstance(message, str) else answer.decode("utf-8", "replace").strip()
    return text[:500] or "no reason given"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class Backoff:
    """Exponential backoff: `initial` seconds doubling to `cap`, each delay shortened by up to `jitter` (a
    fraction) at random so that agents restarted together do not retry together."""

    def __init__(self, initial: float = 1.0, cap: float = 60.0, jitter: float = 0.2, rng=random.random):
        if not 0 < initial <= cap or not 0 <= jitter < 1:
            raise InvalidInputError("backoff needs 0 < initial <= cap and 0 <= jitter < 1")
        self.initial, self.cap, self.jitter, self._rng = initial, cap, jitter, rng
        self._failures = 0

    def next_delay(self) -> float:
        """The delay before the next attempt after one more failure."""
        base = min(self.cap, self.initial * 2 ** min(self._failures, 32))
        self._failures += 1
        return base * (1 - self.jitter * self._rng())

    def reset(self) -> None:
        self._failures = 0


@dataclass(frozen=True)
class DeliveryStatus:
    pending: int
    delivered: int
    refused: int
    last_error: str | None
    next_retry_at: str | None  # ISO 8601 UTC

    def to_dict(self) -> dict:
        return asdict(self)


class Deliverer:
    """Delivers the outbox in order; `run()` is the loop a thread runs, `notify()` wakes it for a new document."""

    def __init__(self, outbox: Outbox, client: IntakeClient, backoff: Backoff | None = None):
        self._outbox, self._client, self._backoff = outbox, client, backoff or Backoff()
        self._wake = threading.Event()
        self._last_error: str | None = None
        self._retry_delay: float | None = None
        self._next_retry_at: datetime | None = None

    def run_once(self) -> int:
        """Deliver what is pending, oldest first, and return how many were delivered. Stops at the first failure
        worth retrying; `retry_delay` and `status()` then say when to try again (None: nothing to retry)."""
        delivered = 0
        for entry in self._outbox.pending():
            result = self._deliver(entry)
            if result.outcome is Outcome.RETRY:
                self._schedule_retry(f"{entry.name}: {result.message}")
                return delivered
            if result.outcome is Outcome.DELIVERED:
                self._outbox.mark_delivered(entry, {**result.receipt, "delivered_at": datetime.now(UTC).isoformat()})
                delivered += 1
            else:
                logger.warning("appliance refused %s: %s", entry.name, result.message)
                self._outbox.mark_refused(entry, result.message)
        self._backoff.reset()
        self._last_error = self._retry_delay = self._next_retry_at = None
        return delivered

    @property
    def retry_delay(self) -> float | None:
        return self._retry_delay

    def notify(self) -> None:
        """Say a document was put: the loop tries at once, even while it waits out a backoff."""
        self._wake.set()

    def run(self, stop_event: threading.Event) -> None:
        """Deliver until stop_event is set (checked at least every STOP_CHECK_SECONDS); never raises."""
        while not stop_event.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception as error:  # the loop must outlive a full disk or a damaged entry
                logger.exception("delivery failed")
                self._schedule_retry(f"delivery failed: {_describe(error)}")
            self._wait(stop_event, self._retry_delay or IDLE_POLL_SECONDS)

    def status(self) -> DeliveryStatus:
        """Counts, the last error and the next retry time, for the agent's heartbeat."""
        counts = self._outbox.counts()
        retry_at = self._next_retry_at.isoformat() if self._next_retry_at else None
        return DeliveryStatus(counts.pending, counts.delivered, counts.refused, self._last_error, retry_at)

    def _deliver(self, entry: OutboxEntry) -> DeliveryResult:
        try:
            return self._client.deliver(entry)
        except OutboxEntryDamagedError as error:
            # retrying cannot mend it; refused/ keeps what is left for a person to look at
            return DeliveryResult(Outcome.REFUSED, str(error))

    def _schedule_retry(self, message: str) -> None:
        self._last_error = message
        self._retry_delay = self._backoff.next_delay()
        self._next_retry_at = datetime.now(UTC) + timedelta(seconds=self._retry_delay)
        logger.info("delivery will be retried in %.1f s: %s", self._retry_delay, message)

    def _wait(self, stop_event: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not stop_event.is_set() and (remaining := deadline - time.monotonic()) > 0:
            if self._wake.wait(min(remaining, STOP_CHECK_SECONDS)):
                return

