"""The console's menu: each entry shows only to those allowed its action, in the order people work; with the
counts of unread notifications and of requests waiting for the person's decision."""

from dataclasses import dataclass

from flask import Flask, g, request, url_for
from flask_babel import lazy_gettext
from werkzeug.routing import BuildError

from appliance.domain.notifications import Counts
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.services.notifications import counts
from web.security import appliance

COUNTED_ENDPOINT = "approvals.inbox"  # its entry shows how many requests wait for the person


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: object  # a lazy string: translated when rendered
    action: Action


MENU = (
    MenuEntry("catalogue.index", lazy_gettext("Catalogue"), Action.ITEM_READ),
    MenuEntry("intake_console.queue", lazy_gettext("Intake"), Action.INTAKE_VIEW),
    MenuEntry("approvals.inbox", lazy_gettext("Approvals"), Action.ITEM_READ),
    MenuEntry("borrowing.mine", lazy_gettext("Borrowing"), Action.BORROW_REQUEST),
    MenuEntry("loans.desk", lazy_gettext("Loan desk"), Action.LOAN_ISSUE),
    MenuEntry("loans.register", lazy_gettext("Use register"), Action.REPORTS_VIEW),
    MenuEntry("appraisal.expiry", lazy_gettext("Appraisal"), Action.APPRAISAL_DECIDE),
    MenuEntry("appraisal.holds", lazy_gettext("Legal holds"), Action.HOLD_MANAGE),
    MenuEntry("destruction.lists", lazy_gettext("Destruction"), Action.DESTRUCTION_WITNESS),
    MenuEntry("reports.dashboard", lazy_gettext("Reports"), Action.REPORTS_VIEW),
    MenuEntry("scanners_console.overview", lazy_gettext("Scanners"), Action.SCANNERS_VIEW),
    MenuEntry("backups.overview", lazy_gettext("Backups"), Action.BACKUP_RUN),
    MenuEntry("admin.users", lazy_gettext("Users"), Action.ACCOUNTS_MANAGE),
    MenuEntry("admin.api_tokens", lazy_gettext("API tokens"), Action.ACCOUNTS_MANAGE),
    MenuEntry("admin.policy", lazy_gettext("Security policy"), Action.SECURITY_POLICY),
    MenuEntry("admin.catalogue_settings", lazy_gettext("Fonds and categories"), Action.CATALOGUE_CONFIGURE),
    MenuEntry("audit.events", lazy_gettext("Audit log"), Action.AUDIT_READ),
)


@dataclass(frozen=True)
class MenuLink:
    url: str
    label: str
    current: bool
    count: int = 0


def navigation(principal: Principal) -> list[MenuLink]:
    """The entries this principal may use whose pages exist."""
    links = []
    waiting = notice_counts(principal).awaiting
    for entry in MENU:
        if not principal.may(entry.action):
            continue
        try:
            url = url_for(entry.endpoint)
        except BuildError:  # a page not built yet: no link rather than a broken one
            continue
        count = waiting if entry.endpoint == COUNTED_ENDPOINT else 0
        links.append(MenuLink(url, str(entry.label), request.endpoint == entry.endpoint, count))
    return links


def notice_counts(principal: Principal) -> Counts:
    """Unread notifications and waiting requests, asked once per page (one query for both)."""
    if "notice_counts" not in g:
        g.notice_counts = counts(appliance().uow_factory, principal)
    return g.notice_counts


def init_navigation(app: Flask) -> None:
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["notice_counts"] = notice_counts
