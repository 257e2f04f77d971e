"""What records a person may see: the access label (公开/内部/受控) against clearance, and department scope.

The role matrix (permissions.py) says whether someone may read records at all; this says which ones. An item the
scope hides is treated as absent everywhere — lists, counts, search, the item page and the API — so its existence
does not leak.
"""

from dataclasses import dataclass

from appliance.domain.catalogue import AccessLabel, Item, parse_access_label
from appliance.domain.codes import DEPARTMENT_PATTERN
from appliance.domain.errors import InvalidInputError

LABEL_ORDER = (AccessLabel.PUBLIC, AccessLabel.INTERNAL, AccessLabel.RESTRICTED)


@dataclass(frozen=True)
class AccessScope:
    """Labels up to `clearance`; items of `departments` only, or of every department when it is None.

    Items filed without a department belong to the whole fonds and are in every department scope.
    """

    clearance: AccessLabel = AccessLabel.PUBLIC
    departments: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.departments is not None and not self.departments:
            # "no department" would read back as "every department" (no scope rows): say which is meant
            raise InvalidInputError("a department scope names at least one department; leave it out for all")

    @property
    def labels(self) -> tuple[AccessLabel, ...]:
        """The access labels this scope may see, lowest first."""
        return LABEL_ORDER[: LABEL_ORDER.index(self.clearance) + 1]

    def can_see(self, item: Item) -> bool:
        if item.fields.access_label not in self.labels:
            return False
        department = item.code.department
        return self.departments is None or department is None or department in self.departments


EVERYTHING = AccessScope(AccessLabel.RESTRICTED, None)  # the command line and the services' own checks


def parse_departments(codes) -> frozenset[str]:
    """Department codes of a scope, upper-cased; raises InvalidInputError for a malformed code."""
    chosen = frozenset(code.strip().upper() for code in codes if code.strip())
    for code in chosen:
        if not DEPARTMENT_PATTERN.fullmatch(code):
            raise InvalidInputError(f"department code {code!r} must be 3 capital letters or digits, e.g. BGS")
    return chosen


def parse_clearance(text: str) -> AccessLabel:
    """A clearance is named like an access label: 公开, 内部, 受控 (or public, internal, restricted)."""
    return parse_access_label(text)
