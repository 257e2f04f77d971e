"""Machine authentication for scanner agents: a bearer token shared with the appliance.

Some endpoints serve agents and people alike (the scan queue, batches, the intake list): `agent_or(action)`
lets in the agent token or a principal allowed the action; `g.actor` names who acted either way.
"""

import hmac
from functools import wraps

from flask import current_app, g, request

from appliance.domain.actors import Actor
from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.scanning import check_agent_name
from web.errors import error_response
from web.security import current_principal, login_manager

TOKEN_KEY = "dangan_agent_token"
AGENT_HEADER = "X-Dangan-Agent"


def agent_required(view):
    """Let the view run only for a request that carries the agent token; the actor is in `g.agent`."""

    @wraps(view)
    def guarded(*args, **kwargs):
        expected = current_app.extensions.get(TOKEN_KEY)
        if not expected:
            return error_response("unauthorised", "no agent token is set up on this appliance (run dangan init)", 503)
        if not _presents_agent_token(expected):
            return error_response("unauthorised", "a valid agent token is required", 401)
        g.agent = g.actor = Actor(name=_agent_name(), source=request.remote_addr or "unknown")
        return view(*args, **kwargs)

    guarded.required_action = "agent"
    return guarded


def agent_or(action: Action):
    """Let in a scanner agent (its token) or a signed-in principal allowed `action`."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            expected = current_app.extensions.get(TOKEN_KEY)
            if expected and _presents_agent_token(expected):
                g.agent = g.actor = Actor(name=_agent_name(), source=request.remote_addr or "unknown")
                return view(*args, **kwargs)
            principal = current_principal()
            if principal is None:
                return login_manager.unauthorized()
            principal.require(action)
            g.principal, g.actor = principal, principal.actor
            return view(*args, **kwargs)

        guarded.required_action = action
        return guarded

    return decorate


def _presents_agent_token(expected: str) -> bool:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), expected.encode())


def _agent_name() -> str:
    """The agent names itself; a name that breaks the rules is recorded as plain "agent", not refused."""
    name = request.headers.get(AGENT_HEADER, "")
    try:
        return f"agent:{check_agent_name(name)}"
    except InvalidInputError:
        return "agent"
