"""Use cases. Each takes a unit-of-work factory and writes its audit event in the same transaction."""
