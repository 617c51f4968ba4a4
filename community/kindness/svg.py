"""The ripple picture's layout: rings around the member, computed from the
stored tree (MemberRipples.tree). Pure: the template draws the SVG."""

from __future__ import annotations

import math
from dataclasses import dataclass

SIZE = 520
CENTRE = SIZE / 2
RINGS = (0, 85, 160, 235)  # radius of each level


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


def _leaves(node: dict) -> int:
    return max(1, sum(_leaves(child) for child in node.get("children", ())))


def layout(tree: dict | None) -> tuple[list[Node], list[Edge]]:
    """Nodes on rings (level 0 at the centre) and a line per act; each subtree
    gets an arc of the circle in proportion to its leaves."""
    if not tree:
        return [], []
    nodes = [Node(tree["id"], 0, CENTRE, CENTRE, None)]
    edges: list[Edge] = []

    def place(node: dict, level: int, start: float, span: float, parent: Node) -> None:
        children = node.get("children", ())
        total = sum(_leaves(child) for child in children) or 1
        angle = start
        for child in children:
            share = span * _leaves(child) / total
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


def tree_ids(tree: dict | None) -> set[int]:
    if not tree:
        return set()
    ids = {tree["id"]}
    for child in tree.get("children", ()):
        ids |= tree_ids(child)
    return ids
