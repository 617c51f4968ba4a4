"""Introducing two matched members to each other, personally.

Each side hears about the *other person* first: their name, a few lines of
what they wrote about themselves, their genres and stage, then the request,
and a suggested first message that asks about them rather than talking
about oneself (the spirit of ../shared/ORIGIN.txt).
"""

from __future__ import annotations

from community.helping.models import Match
from community.notifications.service import notify
from community.urls import external_url

ABOUT_LINES = 4


def about_excerpt(about: str | None, lines: int = ABOUT_LINES) -> str:
    """The first few non-empty lines of an about text, trimmed to a few hundred characters."""
    kept = [line.strip() for line in (about or "").splitlines() if line.strip()][:lines]
    text = "\n".join(kept)
    return text if len(text) <= 400 else text[:397].rsplit(" ", 1)[0] + "…"


def suggested_first_message(me, other, request, *, i_am_helper: bool) -> str:
    """A first message for ``me`` to send ``other``: about them, with a question."""
    first_name = other.display_name.split()[0]
    profile = other.profile
    genres = [genre.name.lower() for genre in (profile.genres if profile else [])]
    if i_am_helper:
        opening = f"Hi {first_name}, I'm glad I can help with “{request.title}”."
        question = "Before I start: what matters most to you in this, and what worries you?"
    else:
        opening = f"Hi {first_name}, thank you so much for offering to help with “{request.title}”."
        question = "I'd love to hear about your own writing: what are you working on now?"
    if genres:
        question += f" I see you write {genres[0]}; how did you come to it?"
    return f"{opening} {question}"


def _context_for(me, other, match: Match, *, i_am_helper: bool) -> dict:
    profile = other.profile
    return {
        "other_name": other.display_name,
        "other_about": about_excerpt(profile.about if profile else ""),
        "other_genres": [genre.name for genre in (profile.genres if profile else [])],
        "other_stage": profile.stage_label if profile else None,
        "other_profile_url": external_url("profiles.show", user_id=other.id),
        "request_title": match.request.title,
        "request_details": about_excerpt(match.request.details, 6),
        "i_am_helper": i_am_helper,
        "first_message": suggested_first_message(me, other, match.request, i_am_helper=i_am_helper),
        "match_url": external_url("helping.show_match", match_id=match.id),
    }


def introduce(match: Match) -> None:
    """Notify both members of the match (in the site, and by email by preference)."""
    pairs = ((match.requester, match.helper, False), (match.helper, match.requester, True))
    for me, other, i_am_helper in pairs:
        notify(
            me,
            "match_made",
            {"match_id": match.id, "title": match.request.title, "name": other.display_name},
            email_context=_context_for(me, other, match, i_am_helper=i_am_helper),
        )
