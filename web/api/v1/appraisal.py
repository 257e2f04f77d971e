"""The expiry list over the API: what the appraisal group has to look at again this year."""

import datetime

from flask import Blueprint, g, jsonify, request

from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.services.appraisal import expiry_list
from web.api.v1.items import item_json
from web.security import appliance, requires

blueprint = Blueprint("appraisal_api", __name__, url_prefix="/api/v1")


@blueprint.get("/appraisal/expiry")
@requires(Action.APPRAISAL_DECIDE)
def expiry():
    fonds = request.args.get("fonds", "").strip()
    if not fonds:
        raise InvalidInputError("name the fonds: ?fonds=Z109")
    year = request.args.get("year", "").strip() or str(datetime.date.today().year)
    limit = request.args.get("limit", "50").strip()
    if not year.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= 200:
        raise InvalidInputError("year must be a year and limit a whole number from 1 to 200")
    listed = expiry_list(appliance().uow_factory, fonds, int(year), request.args.get("after") or None, int(limit),
                         scope=g.principal.scope)
    return jsonify({"fonds": listed.fonds, "as_of_year": listed.as_of_year, "due_years": listed.due_years,
                    "total": listed.total,
                    "classes": [{"year": year, "retention": retention, "items": count}
                                for (year, retention), count in sorted(listed.counts.items())],
                    "items": [item_json(item) for item in listed.items],
                    "next_after": listed.next_after.format() if listed.next_after else None})
