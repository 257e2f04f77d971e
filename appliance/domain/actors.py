"""Who acts: every audit event names an actor and, where known, the source address."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    name: str
    source: str = "local"
