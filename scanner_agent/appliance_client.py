"""The agent's JSON calls to the appliance: heartbeat, how a scan ended, batch reports (stdlib HTTP only)."""

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

from appliance.domain.errors import DanganError
from scanner_agent.delivery import AGENT_HEADER


class ApplianceUnavailableError(DanganError):
    """The appliance could not be reached or refused the call; the agent keeps working and tries again."""

    code = "appliance_unavailable"


class ApplianceRefusedError(DanganError):
    """The appliance refused the call for good (it is wrong, not early): sending it again will not help."""

    code = "appliance_refused"


RETRYABLE_STATUSES = {401, 403, 408, 429}  # a token being rotated, a timeout, a rate limit


class ApplianceClient:
    def __init__(self, appliance_url: str, token: str, agent: str, timeout: float = 10.0,
                 ssl_context: ssl.SSLContext | None = None):
        self.base = appliance_url.rstrip("/") + "/api/v1"
        self.token, self.agent, self.timeout = token, urllib.parse.quote(agent, safe=""), timeout
        self.agent_name, self.ssl_context = agent, ssl_context

    def heartbeat(self, state: dict) -> list[dict]:
        """Report the agent's state; returns the scans asked for since the last heartbeat."""
        return self._call("POST", f"/agents/{self.agent}/heartbeat", state)["scan_requests"]

    def finish_scan(self, request_id: int, outcome: str, batch_id: str | None, message: str | None) -> None:
        body = {"outcome": outcome, "batch": batch_id, "message": message}
        self._call("POST", f"/agents/{self.agent}/scan-requests/{request_id}", body)

    def record_batch(self, batch_id: str, state: str, report: dict) -> None:
        self._call("PUT", f"/batches/{batch_id}", {"state": state, "report": report})

    def _call(self, method: str, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     AGENT_HEADER: self.agent_name})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.ssl_context) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            message = f"appliance answered {error.code}: {_message(error)}"
            if 400 <= error.code < 500 and error.code not in RETRYABLE_STATUSES:
                raise ApplianceRefusedError(message) from None
            raise ApplianceUnavailableError(message) from None
        except (OSError, ValueError) as error:
            raise ApplianceUnavailableError(f"appliance unreachable: {error}") from None


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return json.loads(error.read()).get("message", error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)
