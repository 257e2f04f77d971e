"""Related records: links between items, and the graph around an item (issue 8). Being built."""

from flask import Blueprint

blueprint = Blueprint("links", __name__, template_folder="templates")
