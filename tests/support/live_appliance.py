"""The real web app over real HTTP in a thread, for agent tests: werkzeug's server, a free port, the agent token."""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.serving import make_server

from appliance.bootstrap import Appliance, agent_token, prepare_secrets
from web import create_app


@dataclass
class LiveAppliance:
    appliance: Appliance
    url: str
    token: str
    wrap: Callable | None = None  # middleware around the WSGI app (a test holding or refusing requests)
    _server: object = None
    _thread: threading.Thread | None = None

    def start(self) -> "LiveAppliance":
        """Serve (again) on the same port: an agent's URL stays valid across a stop and a start."""
        port = int(self.url.rsplit(":", 1)[1]) if self.url else 0
        app = create_app({"appliance": self.appliance, "TESTING": True})
        if self.wrap is not None:
            app = self.wrap(app)
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None


def serve(appliance: Appliance, wrap: Callable | None = None) -> LiveAppliance:
    prepare_secrets(appliance.config)
    return LiveAppliance(appliance, "", agent_token(appliance.config), wrap).start()
