"""Draw docs/architecture.svg from the real import graph of ``community/``.

    python docs/architecture.py        # rewrites docs/architecture.svg

The graph is the one tests/test_architecture.py checks: every import of the
package, folded onto areas (tests.test_architecture.area_of). Areas are
placed in rows by their height in the order (the lowest at the bottom), and
an arrow ``a -> b`` means "a imports b". Arrows implied by a longer path are
left out so the picture stays readable; the test checks all of them.
No layout engine is needed: the order itself gives the rows.
"""

from __future__ import annotations

import sys
from functools import cache
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_architecture import PACKAGE, area_graph, import_graph  # noqa: E402

CAPTIONS = {
    "app": "create_app(): wires it all",
    "pages": "views, forms, Socket.IO handlers, site",
    "commands": "flask CLI, the demo community",
    "moderation": "reports, queue, appeals",
    "blocking": "the act of blocking",
    "kindness": "thanks, pledges, ripples",
    "helping": "requests, offers, matches",
    "chat": "conversations, messages",
    "profiles": "profiles, directory",
    "network": "follows, welcomes, feed",
    "accounts": "sign-up, sessions",
    "admin": "dashboard, announcements",
    "notifications": "in-app, preferences, digests",
    "safety": "hidden items, audit record",
    "trust": "trust levels, refusals",
    "limits": "act counts, rate limits",
    "push": "chat/push.py: the publisher",
    "mail": "outbox, sending",
    "tables": "every models.py, blocks.py",
    "core": "config, db, errors, jobs, words",
}
BOX_W, BOX_H, GAP_X, ROW_H, MARGIN = 190, 46, 24, 84, 20


def reduced(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The transitive reduction of an acyclic graph."""

    @cache
    def reach(node: str) -> frozenset[str]:
        out: set[str] = set()
        for nxt in graph.get(node, ()):
            out |= {nxt} | reach(nxt)
        return frozenset(out)

    return {
        node: {b for b in targets if not any(b in reach(c) for c in targets - {b})}
        for node, targets in graph.items()
    }


def rows(graph: dict[str, set[str]]) -> list[list[str]]:
    """Areas by height: row 0 holds those that import no other area."""

    @cache
    def height(node: str) -> int:
        return 1 + max((height(t) for t in graph.get(node, ())), default=-1)

    by_height: dict[int, list[str]] = {}
    for node in graph:
        by_height.setdefault(height(node), []).append(node)
    return [sorted(by_height[h]) for h in sorted(by_height)]


def render(graph: dict[str, set[str]]) -> str:
    layers = rows(graph)
    widest = max(len(layer) for layer in layers)
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X
    height = MARGIN * 2 + len(layers) * ROW_H - (ROW_H - BOX_H)
    place: dict[str, tuple[float, float]] = {}
    for level, layer in enumerate(layers):
        y = height - MARGIN - BOX_H - level * ROW_H
        span = len(layer) * BOX_W + (len(layer) - 1) * GAP_X
        for i, node in enumerate(layer):
            place[node] = ((width - span) / 2 + i * (BOX_W + GAP_X), y)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        'aria-labelledby="title desc" font-family="sans-serif">',
        '<title id="title">Kindred\'s areas and the one-way order of their imports</title>',
        '<desc id="desc">Each arrow points from an area to one it imports; '
        "every arrow points down.</desc>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
    ]
    for node in sorted(graph):
        for target in sorted(reduced(graph)[node]):
            (x1, y1), (x2, y2) = place[node], place[target]
            out.append(
                f'<line x1="{x1 + BOX_W / 2:.1f}" y1="{y1 + BOX_H:.1f}" '
                f'x2="{x2 + BOX_W / 2:.1f}" y2="{y2:.1f}" stroke="#888" stroke-width="1.2" '
                'marker-end="url(#arrow)"/>'
            )
    for node, (x, y) in sorted(place.items()):
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            'fill="#eef3fb" stroke="#2f5597"/>'
            f'<text x="{x + BOX_W / 2:.1f}" y="{y + 19:.1f}" text-anchor="middle" '
            f'font-size="14" font-weight="bold" fill="#1a1a1a">{escape(node)}</text>'
            f'<text x="{x + BOX_W / 2:.1f}" y="{y + 36:.1f}" text-anchor="middle" '
            f'font-size="11" fill="#333">{escape(CAPTIONS.get(node, ""))}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    graph = area_graph(import_graph(ROOT))
    # The factory sits on top; the job runner's reach up to it is not an arrow.
    graph = {node: targets - {"app"} for node, targets in graph.items()}
    target = ROOT / "docs" / "architecture.svg"
    target.write_text(render(graph))
    arrows = sum(map(len, graph.values()))
    print(f"{target.relative_to(ROOT)}: {len(graph)} areas, {arrows} imports")


if __name__ == "__main__":
    assert PACKAGE == "community"
    main()
