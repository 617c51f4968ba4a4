"""What the front page shows a visitor: the community, never its private parts.

Rules:

- Requests stay members-only: a visitor sees how many open requests ask for
  each kind of help, never a title, a text or a name.
- A thank-you shows only when it is confirmed, neither its author nor its
  helper keeps it private, neither keeps their acts of help off public pages
  (``KindnessPrivacy``), and both are still members. Ripples show only as
  community-wide counts.
- Members shown are those the public directory shows. The front page never
  features a suspended member, nor a thank-you or a profile a moderator hid.
- What every visitor sees alike is cached for CACHE_TTL seconds, shared by
  all visitors (community.site.cache: Redis when configured): the figures,
  the kinds of help, and which thank-yous and members are *candidates* to
  show (their ids, a few more than shown). Their words never come from the
  cache: each view reads the candidates' rows in one query each, by primary
  key, with every rule above in the WHERE clause, so a privacy switch, a
  deletion, a suspension or a hidden item takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from community.accounts.models import User
from community.db import db, utcnow
from community.helping.models import HelpRequest, RequestStatus, request_skills
from community.kindness.models import CameBack, HelpAct, KindnessPrivacy, Thanks, ThanksStatus
from community.moderation.models import HiddenItem
from community.profiles.models import Profile, Skill
from community.profiles.service import DirectoryQuery, search_directory
from community.site import cache

CACHE_TTL = 60  # seconds
CACHE_KEY = "front-page:v2"
KINDS_SHOWN = 6
THANKS_SHOWN = 3
MEMBERS_SHOWN = 4
CANDIDATES = 3  # times as many candidates as shown: room for a few switched off since


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


def compute_shared() -> dict:
    """What every visitor sees alike, as plain data: the figures, the kinds of
    help asked for now, and the ids of the thank-yous and members that may show."""
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
        "thanks": [thanks.id for thanks in public_thanks(THANKS_SHOWN * CANDIDATES)],
        "members": member_candidates(MEMBERS_SHOWN * CANDIDATES),
    }


@dataclass(frozen=True)
class FrontPage:
    figures: Figures
    kinds: list[KindOfHelp]
    thanks: list[Thanks]
    members: list[Profile]


def front_page() -> FrontPage:
    """The front page's content: the shared part from the cache, the words live
    (two queries, whatever the size of the community)."""
    data = cache.remember(CACHE_KEY, CACHE_TTL, compute_shared)
    return FrontPage(
        figures=Figures(**data["figures"]),
        kinds=[KindOfHelp(*row) for row in data["kinds"]],
        thanks=public_thanks(THANKS_SHOWN, among=data["thanks"]),
        members=some_members(MEMBERS_SHOWN, among=data["members"]),
    )


def _not_suspended(user):
    return or_(user.suspended_until.is_(None), user.suspended_until <= utcnow())


def _not_hidden(item_type: str, column):
    return column.not_in(select(HiddenItem.item_id).where(HiddenItem.item_type == item_type))


def public_thanks(limit: int = THANKS_SHOWN, among: list[int] | None = None) -> list[Thanks]:
    """The newest thank-yous both sides let show on public pages (one query);
    with ``among``, only those of these ids that may still show."""
    if among is not None and not among:
        return []
    author, helper = aliased(User), aliased(User)
    private = select(KindnessPrivacy.user_id)
    statement = (
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
            _not_suspended(author),
            _not_suspended(helper),
            _not_hidden("thanks", Thanks.id),
        )
        .options(contains_eager(Thanks.author.of_type(author)))
        .options(contains_eager(Thanks.helper.of_type(helper)))
        .order_by(Thanks.created_at.desc(), Thanks.id.desc())
        .limit(limit)
    )
    if among is not None:
        statement = statement.where(Thanks.id.in_(among))
    return list(db.session.scalars(statement))


def member_candidates(limit: int) -> list[int]:
    """The ids of the directory's newest members who wrote about themselves."""
    profiles = search_directory(DirectoryQuery()).items
    return [profile.user_id for profile in profiles if profile.about][:limit]


def some_members(limit: int = MEMBERS_SHOWN, among: list[int] | None = None) -> list[Profile]:
    """The directory's newest members who wrote about themselves; with ``among``,
    those of these members who may still show, in that order (one query)."""
    if among is None:
        among = member_candidates(limit * CANDIDATES)
    if not among:
        return []
    profiles = db.session.scalars(
        select(Profile)
        .join(Profile.user)
        .where(
            Profile.user_id.in_(among),
            Profile.about != "",
            User.deleted_at.is_(None),
            User.email_verified_at.is_not(None),
            _not_suspended(User),
            _not_hidden("profile", User.id),
        )
        .options(contains_eager(Profile.user))
    ).all()
    by_id = {profile.user_id: profile for profile in profiles}
    return [by_id[user_id] for user_id in among if user_id in by_id][:limit]
