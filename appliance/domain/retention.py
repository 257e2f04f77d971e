"""Retention periods (保管期限) of DA/T 22-2015."""

from dataclasses import dataclass

from appliance.domain.errors import InvalidInputError


@dataclass(frozen=True)
class RetentionPeriod:
    code: str
    name_zh: str
    name_en: str
    years: int | None  # None: permanent


RETENTION_PERIODS: dict[str, RetentionPeriod] = {
    period.code: period
    for period in (
        RetentionPeriod("Y", "永久", "permanent", None),
        RetentionPeriod("D30", "定期30年", "30 years", 30),
        RetentionPeriod("D10", "定期10年", "10 years", 10),
    )
}


def parse_retention(text: str) -> RetentionPeriod:
    """Return the period for a code such as `D30`; raises InvalidInputError for an unknown code."""
    period = RETENTION_PERIODS.get(text.strip().upper())
    if period is None:
        known = ", ".join(RETENTION_PERIODS)
        raise InvalidInputError(f"unknown retention code {text!r} (known: {known})")
    return period
