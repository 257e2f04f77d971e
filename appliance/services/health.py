"""Health: whether the database answers."""

from dataclasses import dataclass


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    database: str


def check_health(uow_factory) -> HealthReport:
    try:
        with uow_factory(read_only=True) as uow:
            uow.audit.head()
    except Exception as error:  # noqa: BLE001 - any failure means "not healthy", reported as text
        return HealthReport(False, f"unreachable: {type(error).__name__}")
    return HealthReport(True, "ok")
