"""Machine authentication for scanner agents: a bearer token shared with the appliance."""

import hmac
from functools import wraps

from flask import current_app, g, request

from appliance.domain.actors import Actor
from web.errors import error_response

TOKEN_KEY = "dangan_agent_token"


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
        g.agent = Actor(name="agent", source=request.remote_addr or "unknown")
        return view(*args, **kwargs)

    return guarded
