"""The graph around an item as SVG drawn on the server: a radial layout, the item in the middle, the items linked to
it on a first ring and theirs on a second, each node a link to its item's page.

Only presentation attributes, no <style> and no script: the console's Content-Security-Policy allows neither
inline, and the same document is served on its own by the API. The viewBox lets it scale to a phone's width.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from appliance.domain.citations import GraphEdge, LinkGraph, Relation

RING = 110  # distance between rings, in viewBox units (1 unit is 1 CSS pixel at the natural size)
LABEL_ROOM = 130  # beside the outer ring: a short title written outward
HEADROOM = 45  # above and below it
RADIUS = {0: 24, 1: 16, 2: 12}
FILL = {0: "#8a1c1c", 1: "#2f5d8a", 2: "#7f97ad"}
CENTER_TITLE = 5  # short under the item in the middle: its edges' labels pass close by, its title heads the page
SHORT_TITLE = 7  # characters of a title under its node; the whole title is in the node's <title>
EDGE_COLOUR = "#8c8c8c"
DEFAULT_LABELS = {relation: relation.value for relation in Relation}


@dataclass(frozen=True)
class Placed:
    x: float
    y: float
    angle: float  # radians, from the centre
    depth: int


def layout(graph: LinkGraph) -> dict[int, Placed]:
    """Positions of the nodes: the centre at (0, 0), each ring's nodes spread evenly; the second ring in the order
    of the first-ring nodes they hang from, so a neighbour's neighbours sit near it."""
    rings: dict[int, list[int]] = {1: [], 2: []}
    for node in graph.nodes:
        if node.depth:
            rings[node.depth].append(node.item.id)
    placed = {graph.center_id: Placed(0.0, 0.0, 0.0, 0)}
    _spread(rings[1], 1, placed, 0.0)
    parents = _parents(graph.edges, set(rings[1]))
    order = {node_id: index for index, node_id in enumerate(rings[1])}
    outer = sorted(rings[2], key=lambda node_id: order.get(parents.get(node_id), len(order)))
    _spread(outer, 2, placed, math.pi / max(len(outer), 1))
    return placed


def _spread(node_ids: list[int], depth: int, placed: dict[int, Placed], offset: float) -> None:
    for index, node_id in enumerate(node_ids):
        angle = offset - math.pi / 2 + 2 * math.pi * index / len(node_ids)
        placed[node_id] = Placed(depth * RING * math.cos(angle), depth * RING * math.sin(angle), angle, depth)


def _parents(edges: tuple[GraphEdge, ...], inner: set[int]) -> dict[int, int]:
    """For each node, the first first-ring node it is linked with."""
    parents: dict[int, int] = {}
    for edge in edges:
        for node_id, other in ((edge.source_id, edge.target_id), (edge.target_id, edge.source_id)):
            if other in inner:
                parents.setdefault(node_id, other)
    return parents


def render_graph_svg(graph: LinkGraph, href: Callable[[str], str], labels: dict | None = None,
                     caption: str = "") -> str:
    """The graph as a standalone SVG document (also fit to put inline in HTML); `href` gives the page of an
    archival code, `labels` the words for each relation. Every text is escaped."""
    labels = {**DEFAULT_LABELS, **(labels or {})}
    placed = layout(graph)
    rings = max((node.depth for node in graph.nodes), default=0)
    width = rings * RING + (LABEL_ROOM if rings else 70)
    height = rings * RING + HEADROOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="link-graph-svg rings-{rings}" '
             f'viewBox="{-width} {-height} {2 * width} {2 * height}" width="100%" role="group" '
             f'aria-label={quoteattr(caption)} font-family="sans-serif">',
             f"<title>{escape(caption)}</title>", _arrow_marker()]
    parts += [_edge(edge, placed, labels) for edge in graph.edges
              if edge.source_id in placed and edge.target_id in placed]
    parts += [_node(node.item, placed[node.item.id], href, outward=node.depth == rings) for node in graph.nodes]
    parts.append("</svg>")
    return "\n".join(parts)


def _arrow_marker() -> str:
    return (f'<defs><marker id="link-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE_COLOUR}"/>'
            f"</marker></defs>")


def _edge(edge: GraphEdge, placed: dict[int, Placed], labels: dict) -> str:
    start, end = placed[edge.source_id], placed[edge.target_id]
    length = math.hypot(end.x - start.x, end.y - start.y) or 1.0
    unit_x, unit_y = (end.x - start.x) / length, (end.y - start.y) / length
    from_gap, to_gap = _gap(start), _gap(end)
    x1, y1 = start.x + unit_x * from_gap, start.y + unit_y * from_gap
    x2, y2 = end.x - unit_x * to_gap, end.y - unit_y * to_gap
    label = escape(str(labels.get(edge.relation, edge.relation.value)))
    # a little past the middle, away from the label under the item in the middle
    share = 0.6 if start.depth == 0 else 0.4 if end.depth == 0 else 0.5
    label_x, label_y = x1 + (x2 - x1) * share, y1 + (y2 - y1) * share
    dashes = ' stroke-dasharray="4 3"' if edge.relation is Relation.RELATED else ""
    arrow = "" if edge.relation is Relation.RELATED else ' marker-end="url(#link-arrow)"'
    return (f'<g class="edge" data-relation="{edge.relation.value}">'
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{EDGE_COLOUR}" '
            f'stroke-width="1.5"{dashes}{arrow}/>'
            f'<text x="{label_x:.1f}" y="{label_y:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#555" stroke="#fff" stroke-width="3" paint-order="stroke">{label}</text></g>')


def _gap(point: Placed) -> float:
    """How far from a node's centre its edges stop: just outside its circle."""
    return RADIUS[point.depth] + 3


def _node(item, point: Placed, href: Callable[[str], str], outward: bool) -> str:
    depth = point.depth
    radius = RADIUS[depth]
    length = SHORT_TITLE if depth else CENTER_TITLE
    short = item.title if len(item.title) <= length else item.title[:length] + "…"
    label_x, label_y, anchor = _label_position(point, radius, outward and depth > 0)
    weight = ' font-weight="bold"' if depth == 0 else ""
    full = f"{item.title} — {item.archival_code}" + (f" — {item.doc_number}" if item.doc_number else "")
    return (f'<a href={quoteattr(href(item.archival_code))} class="node depth-{depth}">'
            f"<title>{escape(full)}</title>"
            f'<circle cx="{point.x:.1f}" cy="{point.y:.1f}" r="{radius}" fill="{FILL[depth]}" stroke="#fff" '
            f'stroke-width="2"/>'
            f'<text x="{label_x:.1f}" y="{label_y:.1f}" font-size="14" text-anchor="{anchor}" fill="#222" '
            f'stroke="#fff" stroke-width="3" paint-order="stroke"{weight}>{escape(short)}</text></a>')


def _label_position(point: Placed, radius: int, outward: bool) -> tuple[float, float, str]:
    """Outward on the outer ring, where nodes stand closest and no edge runs further out; under the node
    elsewhere."""
    if not outward:
        return point.x, point.y + radius + 15, "middle"
    distance = math.hypot(point.x, point.y) + radius + 4
    x, y = distance * math.cos(point.angle), distance * math.sin(point.angle) + 4
    return x, y, "start" if math.cos(point.angle) >= 0 else "end"
