"""Dangan appliance core: catalogue, blob store, audit chain, and the services over them."""

__version__ = "0.1.0"
