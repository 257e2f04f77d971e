"""The notifications inbox: what happened to one's requests, what waits, reminders."""

from flask import Blueprint

blueprint = Blueprint("notifications", __name__, template_folder="templates")
