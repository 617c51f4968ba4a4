"""The ripple picture's layout: rings around the member, computed from the
stored tree (MemberRipples.tree). Pure: the template draws the SVG."""

from __future__ import annotations

import math
from dataclasses import dataclass

SIZE = 520
CENTRE = SIZE / 2
RINGS = (0, 85, 160, 235)  # radius of each level
# People drawn per person, by ring: the stored tree keeps up to 12 a person,
# but a picture of 1,800 dots reads no better than one of 300 and costs six
# times as much to send. The counts beside the picture stay exact.
DRAWN_PER_PARENT = {1: 12, 2: 6, 3: 3}


@dataclass(frozen=True)
class Node:
    id: int
    level: int
    x: float
    y: float
    at: str | None


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float


def _drawn(node: dict, level: int) -> list[dict]:
    return list(node.get("children", ()))[: DRAWN_PER_PARENT.get(level, 0)]


def _leaves(node: dict, level: int, memo: dict[int, int]) -> int:
    """Leaves of the drawn subtree (each node counted once, memoised)."""
    key = id(node)
    if key not in memo:
        memo[key] = max(1, sum(_leaves(child, level + 1, memo) for child in _drawn(node, level)))
    return memo[key]


def layout(tree: dict | None) -> tuple[list[Node], list[Edge]]:
    """Nodes on rings (level 0 at the centre) and a line per act; each subtree
    gets an arc of the circle in proportion to its leaves."""
    if not tree:
        return [], []
    nodes = [Node(tree["id"], 0, CENTRE, CENTRE, None)]
    edges: list[Edge] = []
    memo: dict[int, int] = {}

    def place(node: dict, level: int, start: float, span: float, parent: Node) -> None:
        children = _drawn(node, level)
        total = sum(_leaves(child, level + 1, memo) for child in children) or 1
        angle = start
        for child in children:
            share = span * _leaves(child, level + 1, memo) / total
            middle = angle + share / 2
            radius = RINGS[min(level, len(RINGS) - 1)]
            placed = Node(
                child["id"],
                level,
                round(CENTRE + radius * math.cos(middle), 1),
                round(CENTRE + radius * math.sin(middle), 1),
                child.get("at"),
            )
            nodes.append(placed)
            edges.append(Edge(parent.x, parent.y, placed.x, placed.y))
            place(child, level + 1, angle, share, placed)
            angle += share

    place(tree, 1, -math.pi / 2, 2 * math.pi, nodes[0])
    return nodes, edges
