"""The notifications inbox: what happened to one's requests, what waits, reminders; each person sees only their own."""

from flask import Blueprint, g, redirect, render_template, request, url_for

from appliance.domain.notifications import render
from appliance.services import notifications as notification_service
from web.console.forms import EmptyForm
from web.i18n import current_language
from web.security import appliance, now, signed_in

blueprint = Blueprint("notifications", __name__, template_folder="templates")


@blueprint.get("/notifications")
@signed_in
def inbox():
    listed = notification_service.list_notifications(appliance().uow_factory, g.principal)
    language = "en" if current_language() == "en" else "zh"
    entries = [(notice, render(notice.kind, notice.params, language)) for notice in listed]
    return render_template("console/notifications.html", entries=entries, form=EmptyForm())


@blueprint.post("/notifications/<int(max=2147483647):notification_id>/read")
@signed_in
def mark_read(notification_id: int):
    """Mark one read; with `open`, go on to what it is about (its stored link, never one from the form)."""
    notice = notification_service.mark_read(appliance().uow_factory, g.principal, notification_id, now())
    if request.form.get("open") and notice.link:
        return redirect(notice.link)
    return redirect(url_for("notifications.inbox"))


@blueprint.post("/notifications/read-all")
@signed_in
def mark_all_read():
    notification_service.mark_all_read(appliance().uow_factory, g.principal, now())
    return redirect(url_for("notifications.inbox"))
