"""Adapters: the only code that touches databases, files and outside programs."""
