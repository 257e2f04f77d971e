"""Destruction lists (销毁清册): compile, approve through the inbox, witness, and the kept record."""

from flask import Blueprint

blueprint = Blueprint("destruction", __name__, template_folder="templates")
