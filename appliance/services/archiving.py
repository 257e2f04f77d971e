"""Asking for archiving: the four checks of DA/T 70 run on every item first, and their report goes with the request.

An item that fails a check is not sent on: the archivist sees which rule failed and why, puts it right, and asks
again. The approvers then decide on items that passed, with the report in front of them.
"""

import datetime
from collections.abc import Callable
from pathlib import Path

from appliance.domain.errors import InvalidInputError
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.domain.workflow import DEFAULT_CHAIN_POLICY, ChainPolicy, RequestKind
from appliance.services.archival_checks import check_items
from appliance.services.workflows import RequestView, open_request, require_visible_item


class ChecksFailedError(InvalidInputError):
    code = "checks_failed"


def request_archiving(uow_factory, blob_store, image_problem: Callable[[Path, str], str | None],
                      principal: Principal, codes: list[str], reason: str, now: datetime.datetime,
                      policy: ChainPolicy = DEFAULT_CHAIN_POLICY) -> RequestView:
    """Run the four checks on the items and, when every item passes, open the archiving request with the report.

    Raises ChecksFailedError naming each failing item and rule, and whatever open_request raises.
    """
    principal.require(Action.ARCHIVE_REQUEST)
    for code in codes:  # first what the person may see: a hidden item is not found, and its checks never run
        require_visible_item(uow_factory, code, principal.scope)
    reports = check_items(uow_factory, blob_store, image_problem, codes)
    failed = [report for report in reports if not report.passed]
    if failed:
        raise ChecksFailedError("the four checks (DA/T 70) failed: " + "; ".join(
            f"{report.archival_code}: " + ", ".join(finding.message for finding in report.findings)
            for report in failed[:20]))
    return open_request(uow_factory, principal, RequestKind.ARCHIVING, codes, reason, now,
                        policy, report=[report.as_dict() for report in reports])
