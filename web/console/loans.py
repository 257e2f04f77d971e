"""The loan desk: physical files issued, renewed, returned and checked; the use register and its statistics."""

from flask import Blueprint

blueprint = Blueprint("loans", __name__, template_folder="templates")
