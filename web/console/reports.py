"""Reports: dashboards with charts, xlsx and PDF exports, the annual statistics report (issue 8). Being built."""

from flask import Blueprint

blueprint = Blueprint("reports", __name__, template_folder="templates")
