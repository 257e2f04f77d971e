"""Appraisal (鉴定): when an item's retention period has run out, so that an appraisal group looks at it again.

A period counts from the year after the filing year by default (an item of 2011 kept 10 years is due for
appraisal in 2022): archives count whole years from 1 January following the year the records were made. Some
rules count from the filing year itself; `count_from_next_year=False` says so.
"""

from dataclasses import dataclass

from appliance.domain.errors import InvalidInputError
from appliance.domain.retention import RETENTION_PERIODS


@dataclass(frozen=True)
class ExpiryRule:
    count_from_next_year: bool = True

    def last_year_kept(self, year: int, retention: str) -> int | None:
        """The last year an item of `year` is kept under `retention`; None for permanent (永久)."""
        period = RETENTION_PERIODS[retention]
        if period.years is None:
            return None
        return year + period.years - (0 if self.count_from_next_year else 1)

    def due_years(self, as_of_year: int) -> dict[str, int]:
        """For each period with an end: the newest filing year whose items are due for appraisal in `as_of_year`."""
        if not 1900 <= as_of_year <= 9999:
            raise InvalidInputError(f"year {as_of_year} is out of range")
        offset = 0 if self.count_from_next_year else 1
        return {code: as_of_year - period.years - 1 + offset for code, period in RETENTION_PERIODS.items()
                if period.years is not None}
