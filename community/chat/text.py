"""Chat text to HTML: escaped, with web links made clickable, nothing else."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Matched on the escaped text, so a link can never contain a quote or an
# angle bracket; trailing punctuation is left outside the link.
LINK = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}"
PARTIAL_ENTITY = re.compile(r"&(?:amp|lt|gt|#34|#39)$")


def linkify(text: str) -> Markup:
    """``text`` escaped for HTML, with http(s) links as ``<a>`` elements that
    open in a new tab and pass no referrer or window reference."""
    escaped = str(escape(text))
    parts: list[str] = []
    position = 0
    for match in LINK.finditer(escaped):
        url = match.group(0)
        trailing = ""
        while url and url[-1] in TRAILING:
            # Keep a closing bracket that belongs to the link, as in Wikipedia's URLs.
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            trailing = url[-1] + trailing
            url = url[:-1]
        entity = PARTIAL_ENTITY.search(url)
        if entity:  # a trailing "&" or quote, escaped, then cut at its ";"
            trailing = url[entity.start() :] + trailing
            url = url[: entity.start()]
        if len(url) <= len("https://"):
            continue
        parts.append(escaped[position : match.start()])
        parts.append(
            f'<a href="{url}" rel="nofollow noopener noreferrer" target="_blank">{url}</a>'
        )
        parts.append(trailing)
        position = match.end()
    parts.append(escaped[position:])
    return Markup("".join(parts))  # noqa: S704  (built from escaped text only)
