"""What the front page shows a visitor: the community, never its private parts.

Rules:

- Requests stay members-only: a visitor sees how many open requests ask for
  each kind of help, never a title, a text or a name.
- A thank-you shows only when it is confirmed, neither its author nor its
  helper keeps it private, neither keeps their acts of help off public pages
  (``KindnessPrivacy``), and both are still members. Ripples show only as
  community-wide counts.
- Members shown are those the public directory shows.
- The figures and the kinds of help are aggregates, cached for FIGURES_TTL
  seconds (community.site.cache); thank-yous and members are read live, so
  a privacy switch, a block or a deletion shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased, joinedload

from community.accounts.models import User
from community.db import db, utcnow
from community.helping.models import HelpRequest, RequestStatus, request_skills
from community.kindness.models import CameBack, HelpAct, KindnessPrivacy, Thanks, ThanksStatus
from community.profiles.models import Profile, Skill
from community.profiles.service import DirectoryQuery, search_directory
from community.site import cache

FIGURES_TTL = 60  # seconds
FIGURES_KEY = "front-page:figures:v1"
KINDS_SHOWN = 6
THANKS_SHOWN = 3
MEMBERS_SHOWN = 4


@dataclass(frozen=True)
class Figures:
    members: int
    helped_this_month: int
    people_reached: int
    came_back: int


@dataclass(frozen=True)
class KindOfHelp:
    name: str
    slug: str
    open_requests: int


def compute_figures() -> dict:
    """The live figures and the kinds of help asked for now, as plain data."""
    now = utcnow()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    members = db.session.scalar(
        select(func.count(User.id)).where(
            User.deleted_at.is_(None), User.email_verified_at.is_not(None)
        )
    )
    helped_this_month = db.session.scalar(
        select(func.count(HelpAct.id)).where(HelpAct.at >= month_start)
    )
    # Everyone kindness has reached: each member who has been helped, once.
    people_reached = db.session.scalar(select(func.count(distinct(HelpAct.helped_id))))
    came_back = db.session.scalar(select(func.count(CameBack.id)))
    kinds = db.session.execute(
        select(Skill.name, Skill.slug, func.count(HelpRequest.id).label("open"))
        .join(request_skills, request_skills.c.skill_id == Skill.id)
        .join(HelpRequest, HelpRequest.id == request_skills.c.request_id)
        .where(HelpRequest.status == RequestStatus.OPEN)
        .group_by(Skill.id, Skill.name, Skill.slug, Skill.position)
        .order_by(func.count(HelpRequest.id).desc(), Skill.position)
        .limit(KINDS_SHOWN)
    ).all()
    return {
        "figures": {
            "members": members,
            "helped_this_month": helped_this_month,
            "people_reached": people_reached,
            "came_back": came_back,
        },
        "kinds": [[name, slug, count] for name, slug, count in kinds],
    }


def figures_and_kinds() -> tuple[Figures, list[KindOfHelp]]:
    data = cache.remember(FIGURES_KEY, FIGURES_TTL, compute_figures)
    return Figures(**data["figures"]), [KindOfHelp(*row) for row in data["kinds"]]


def public_thanks(limit: int = THANKS_SHOWN) -> list[Thanks]:
    """The newest thank-yous both sides let show on public pages (one query)."""
    author, helper = aliased(User), aliased(User)
    private = select(KindnessPrivacy.user_id)
    return list(
        db.session.scalars(
            select(Thanks)
            .join(author, author.id == Thanks.author_id)
            .join(helper, helper.id == Thanks.helper_id)
            .where(
                Thanks.status == ThanksStatus.CONFIRMED,
                Thanks.author_private.is_(False),
                Thanks.helper_private.is_(False),
                Thanks.author_id.not_in(private),
                Thanks.helper_id.not_in(private),
                author.deleted_at.is_(None),
                helper.deleted_at.is_(None),
            )
            .options(joinedload(Thanks.author), joinedload(Thanks.helper))
            .order_by(Thanks.created_at.desc(), Thanks.id.desc())
            .limit(limit)
        )
    )


def some_members(limit: int = MEMBERS_SHOWN) -> list[Profile]:
    """The directory's newest members who wrote about themselves."""
    profiles = search_directory(DirectoryQuery()).items
    return [profile for profile in profiles if profile.about][:limit]
