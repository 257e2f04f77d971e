"""Borrowing in the console: ask to use items, follow one's requests, view what is granted."""

from flask import Blueprint

blueprint = Blueprint("borrowing", __name__, template_folder="templates")
