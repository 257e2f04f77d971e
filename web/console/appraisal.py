"""The appraisal pages: the expiry list with a decision per item, and legal holds."""

from flask import Blueprint

blueprint = Blueprint("appraisal", __name__, template_folder="templates")
