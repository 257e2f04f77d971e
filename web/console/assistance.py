"""The console's keywords offered as tags and filing suggestions learned from the archive (issue 8). Being built."""

from flask import Blueprint

blueprint = Blueprint("assistance", __name__, template_folder="templates")
