"""Trust that grows with time: the levels, their daily limits, and one question.

:func:`refusal` answers "may this member do X now?" with None (yes) or the
words to show them. The domain functions that start conversations, follow,
welcome, post requests, answer and send chat messages ask it before acting;
each raises its own area's error with those words. :func:`link_refusal`
answers the same for the links in any other text a member writes for others.

The rules:

- A suspended member may do nothing; a limited one may not start
  conversations, post requests, answer, follow or welcome (reading and
  replying in existing chats stays possible, so help under way can finish).
- Otherwise the member's level sets daily limits on acts (counted as acts in
  the rate-limit store, so follow, unfollow, follow counts twice) and how
  many requests may be open at once; links in anything they write for
  others (chat messages, welcome notes, the profile's about text, name and
  links list, requests, offers, answers, comments, thanks, reasons given to
  another member) wait until the level allows them. A chat message with a
  link may be held for a moderator instead (``TRUST_NEW_LINKS``); every other
  text is refused on its field (:func:`link_refusal`), since its writer is
  at the form and can take the link out at once.
- The level is a moderator's choice when set (``User.trust_level_set``),
  else computed: :func:`level_of`, from days since the email was verified,
  thanks received for help given, and actions against the member (any
  warning, limit or suspension in the audit log keeps them at level 1 at most).

``TRUST_LIMITS`` (setting) turns the daily limits off (the test suite's
default, so that other areas' tests are not new members); suspension and
limits by moderators always hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import func, select

from community import limits
from community.db import db, utcnow
from community.helping.models import HelpRequest, RequestStatus
from community.kindness.models import HelpAct
from community.moderation.models import AuditEntry


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    # Reaching it: days since the email was verified, thanks received for help.
    days: int
    thanks: int
    # Daily limits on acts; None is no limit.
    conversations: int | None
    follows: int | None
    welcomes: int | None
    answers: int | None
    open_requests: int
    links: bool


# The one table of levels (the README's "Moderation" section shows it too).
LEVELS = (
    Level(0, "new", days=0, thanks=0, conversations=3, follows=10, welcomes=5, answers=3,
          open_requests=1, links=False),
    Level(1, "settling in", days=3, thanks=0, conversations=10, follows=30, welcomes=15,
          answers=10, open_requests=2, links=True),
    Level(2, "member", days=14, thanks=1, conversations=30, follows=100, welcomes=40,
          answers=30, open_requests=3, links=True),
    Level(3, "trusted", days=60, thanks=3, conversations=None, follows=None, welcomes=None,
          answers=None, open_requests=5, links=True),
)  # fmt: skip

# The acts that a moderator's "limit" stops.
LIMITED_ACTS = {"conversation", "follow", "welcome", "request", "answer"}
DAILY = {"conversation", "follow", "welcome", "answer"}
LINK = re.compile(r"(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|io|ly|co|me|info|biz)\b)", re.I)

VERBS = {
    "conversation": "start conversations",
    "follow": "follow members",
    "welcome": "write welcomes",
    "request": "post requests",
    "answer": "answer requests",
    "link": "send links",
}


def has_link(text: str) -> bool:
    return bool(LINK.search(text or ""))


def level_of(user) -> Level:
    """The member's level: a moderator's choice, or what their record earns."""
    if user.trust_level_set is not None:
        return LEVELS[max(0, min(user.trust_level_set, len(LEVELS) - 1))]
    if user.email_verified_at is None:
        return LEVELS[0]
    days = (utcnow() - user.email_verified_at).days
    earned = LEVELS[0]
    thanks = None
    for level in LEVELS[1:]:
        if days < level.days:
            break
        if level.thanks:
            if thanks is None:
                thanks = _thanks_received(user.id)
            if thanks < level.thanks:
                break
        earned = level
    if earned.number > 1 and _has_strikes(user.id):
        earned = LEVELS[1]
    return earned


def _thanks_received(user_id: int) -> int:
    return db.session.scalar(select(func.count(HelpAct.id)).where(HelpAct.helper_id == user_id))


def _has_strikes(user_id: int) -> bool:
    return (
        db.session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.member_id == user_id,
                AuditEntry.action.in_(("warn", "limit", "suspend")),
                AuditEntry.actor_id.isnot(None),
            )
            .limit(1)
        )
        is not None
    )


def refusal(
    user, act: str, *, text: str = "", count: bool = True, holdable: bool = False
) -> str | None:
    """None if ``user`` may do ``act`` now, else the words to show them.

    ``act``: conversation, follow, welcome, request, answer, or message (a
    chat message or note, checked for links in ``text``). With ``count`` a
    daily act is counted when allowed (call it once per attempt). A link the
    level does not allow is refused, unless ``holdable`` (chat messages) and
    the site holds such messages for review (see :func:`links_held`).
    """
    if user.is_suspended:
        return "Your account is suspended."
    if act in LIMITED_ACTS and user.is_limited:
        when = user.limited_until.strftime("%d %B %Y")
        return f"A moderator has paused this for your account until {when}."
    if not current_app.config.get("TRUST_LIMITS", True):
        return None
    if act == "message" and not has_link(text):
        return None  # a chat send without a link costs no query here
    holding = holdable and current_app.config.get("TRUST_NEW_LINKS", "refuse") == "hold"
    if text and has_link(text) and not holding and not links_allowed(user):
        return links_refusal()
    if act == "request":
        return _open_requests_refusal(user, level_of(user))
    if act in DAILY:
        allowed = getattr(level_of(user), act + "s")
        if allowed is not None and count and not _hit(user.id, act, allowed):
            return (
                f"New members can {VERBS[act]} {allowed} times a day; that grows as you "
                "spend time here. Please try again tomorrow."
            )
    return None


def links_in(text: str) -> set[str]:
    """The words of ``text`` that hold a link, whole and in lower case
    ("https://a.example/x" and "https://b.example/x" are two links)."""
    if not has_link(text):
        return set()
    return {word.lower().strip(".,;:!?)(\"'") for word in text.split() if has_link(word)}


def link_refusal(user, text: str, *, before: str = "") -> str | None:
    """None if ``user`` may publish ``text`` as far as links go, else the words
    to show them on the field.

    For every text a member writes for others outside chat (profile,
    requests, offers, answers, comments, thanks, cancel and decline reasons):
    a link the member's level does not allow is refused, never held (see the
    README, "Moderation"). ``user`` None is someone signing up (level 0).
    ``before`` is the stored text an edit replaces: links it already had may
    stay (a member a moderator set back a level keeps their website). Costs
    no query when the text has no new link.
    """
    if not current_app.config.get("TRUST_LIMITS", True):
        return None
    if not links_in(text) - links_in(before):
        return None
    return None if user is not None and links_allowed(user) else links_refusal()


def links_allowed(user) -> bool:
    """``level_of(user).links``, without its queries when it can: links open at
    a level that time alone reaches, and strikes never hold a member below
    level 1 (bench/moderation.py: a trusted member's link cost two queries,
    some 9% of a chat send, before this)."""
    first = LEVELS[1]  # links from here on, reached by days alone, the floor of strikes
    if user.trust_level_set is not None or LEVELS[0].links or not first.links or first.thanks:
        return level_of(user).links
    if user.email_verified_at is None:
        return False
    return (utcnow() - user.email_verified_at).days >= first.days


def links_refusal() -> str:
    days = next(level.days for level in LEVELS if level.links)
    return (
        f"Links are open to members after their first {days} days here; please write without one."
    )


def links_held(user, text: str) -> bool:
    """True when ``text`` has a link the member's level does not allow and the
    site holds such messages for a moderator (``TRUST_NEW_LINKS`` = "hold")
    instead of refusing them."""
    return (
        current_app.config.get("TRUST_LIMITS", True)
        and current_app.config.get("TRUST_NEW_LINKS", "refuse") == "hold"
        and has_link(text)
        and not links_allowed(user)
    )


def _open_requests_refusal(user, level: Level) -> str | None:
    open_now = db.session.scalar(
        select(func.count(HelpRequest.id)).where(
            HelpRequest.requester_id == user.id,
            HelpRequest.status == RequestStatus.OPEN.value,
        )
    )
    if open_now >= level.open_requests:
        return (
            f"You can have {level.open_requests} open request"
            f"{'s' if level.open_requests > 1 else ''} at a time for now; close or "
            "complete one first."
        )
    return None


def _hit(user_id: int, act: str, allowed: int) -> bool:
    return limits.hit(parse_limit(f"{allowed} per day"), "trust", act, str(user_id))


def next_level_in(user) -> timedelta | None:
    """How long until time alone could lift the member a level (for the settings page)."""
    level = level_of(user)
    if level.number + 1 >= len(LEVELS) or user.email_verified_at is None:
        return None
    due = user.email_verified_at + timedelta(days=LEVELS[level.number + 1].days)
    return max(due - utcnow(), timedelta(0))
