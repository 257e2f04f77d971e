"""Machine authentication for scanner agents: a bearer token shared with the appliance."""

import hmac
from functools import wraps

from flask import current_app, g, request

from appliance.domain.actors import Actor
from appliance.domain.errors import InvalidInputError
from appliance.domain.scanning import check_agent_name
from web.errors import error_response

TOKEN_KEY = "dangan_agent_token"
AGENT_HEADER = "X-Dangan-Agent"


def agent_required(view):
    """Let the view run only for a request that carries the agent token; the actor is in `g.agent`."""

    @wraps(view)
    def guarded(*args, **kwargs):
        expected = current_app.extensions.get(TOKEN_KEY)
        if not expected:
            return error_response("unauthorised", "no agent token is set up on this appliance (run dangan init)", 503)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected.encode()):
            return error_response("unauthorised", "a valid agent token is required", 401)
        g.agent = Actor(name=_agent_name(), source=request.remote_addr or "unknown")
        return view(*args, **kwargs)

    return guarded


def _agent_name() -> str:
    """The agent names itself; a name that breaks the rules is recorded as plain "agent", not refused."""
    name = request.headers.get(AGENT_HEADER, "")
    try:
        return f"agent:{check_agent_name(name)}"
    except InvalidInputError:
        return "agent"
