"""The catalogue tree of a fonds: year, then retention and department in the order its scheme gives."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from appliance.domain.catalogue import Scheme
from appliance.domain.retention import RETENTION_PERIODS


@dataclass(frozen=True)
class ClassCount:
    year: int
    retention: str
    department: str | None
    items: int


@dataclass
class TreeNode:
    """One level's value (a year, a retention code or a department code), its item count, and the level below.

    `path` holds the values from the top down to this node: the filter that lists this node's items.
    """

    level: str
    value: str | int | None
    path: dict
    items: int = 0
    children: list["TreeNode"] = field(default_factory=list)


def build_tree(counts: Iterable[ClassCount], scheme: Scheme) -> list[TreeNode]:
    """Nodes for the top level (years, newest first), each holding the levels below with their counts."""
    totals: dict[tuple, int] = {}
    for count in counts:
        values = {"year": count.year, "retention": count.retention, "department": count.department}
        path = ()
        for level in scheme.levels:
            path += ((level, values[level]),)
            totals[path] = totals.get(path, 0) + count.items
    children: dict[tuple, list[tuple]] = {}
    for path in totals:
        children.setdefault(path[:-1], []).append(path)
    return _nodes(totals, children, ())


def _nodes(totals: dict[tuple, int], children: dict[tuple, list[tuple]], parent: tuple) -> list[TreeNode]:
    nodes = [TreeNode(path[-1][0], path[-1][1], dict(path), totals[path], _nodes(totals, children, path))
             for path in children.get(parent, ())]
    return sorted(nodes, key=_order)


def _order(node: TreeNode):
    if node.level == "year":
        return -node.value  # the newest year first: what people work on
    if node.level == "retention":
        return list(RETENTION_PERIODS).index(node.value) if node.value in RETENTION_PERIODS else 99
    return node.value or ""
