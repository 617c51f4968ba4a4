"""What the kindness pages show, read from the stored results.

The ripple jobs (:mod:`community.kindness.jobs`) store each member's numbers,
picture and came-back events; these functions read them for a page, in a
fixed number of queries whatever the size of a member's ripples. No graph
traversal happens here, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from community.accounts.models import User
from community.db import db
from community.kindness import svg
from community.kindness.models import CameBack, HelpAct, MemberRipples
from community.kindness.privacy import private_members
from community.kindness.service import pledges_of
from community.kindness.wording import (
    describe_chain,
    name_of,
    people_in,
    public_names,
    third_person,
)

TOP = 10


@dataclass
class RipplesPage:
    stored: MemberRipples | None
    member_name: str
    chains: list[tuple[CameBack, str]]  # each came-back event, told to its member
    nodes: list[svg.Node]
    edges: list[svg.Edge]
    names: dict[int, str]
    pledges_made: int
    pledges_kept: int


def ripples_page(member: User, viewer_id: int | None, now: datetime) -> RipplesPage:
    """A member's ripples as ``viewer_id`` may see them: the numbers, the
    picture, the latest came-back chains, pledges. Five queries."""
    stored = db.session.get(MemberRipples, member.id)
    came_back = list(
        db.session.scalars(
            select(CameBack)
            .where(CameBack.member_id == member.id)
            .order_by(CameBack.created_at.desc(), CameBack.id.desc())
            .limit(TOP)
        )
    )
    nodes, edges = svg.layout(stored.tree if stored else None)
    # Names for the people the picture names (the outer ring is drawn as dots).
    ids = {node.id for node in nodes if node.level <= 2} | {member.id}
    for event in came_back:
        ids |= people_in(event.chain)
    names = public_names(ids, viewer_id)
    made, kept = pledges_of(member.id)
    return RipplesPage(
        stored=stored,
        member_name=name_of(names, member.id),
        chains=[(event, describe_chain(event.chain, member.id, names, now)) for event in came_back],
        nodes=nodes,
        edges=edges,
        names=names,
        pledges_made=made,
        pledges_kept=kept,
    )


@dataclass
class CommunityPage:
    acts_this_month: int
    longest: list[tuple[MemberRipples, str]]  # the longest chains, with their member's name
    lately: list[tuple[CameBack, str, str]]  # event, member's name, the chain in words


def community_page(now: datetime) -> CommunityPage:
    """The whole community's kindness: acts this month, the longest chains and
    the latest came-back events of members who let them show. Five queries."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    acts_this_month = db.session.scalar(
        select(func.count()).select_from(HelpAct).where(HelpAct.at >= month_start)
    )
    longest = db.session.execute(
        select(MemberRipples, User.display_name)
        .join(User, User.id == MemberRipples.user_id)
        .where(
            ~MemberRipples.user_id.in_(private_members()),
            MemberRipples.longest_chain > 0,
            User.deleted_at.is_(None),
        )
        .order_by(MemberRipples.longest_chain.desc(), MemberRipples.reached.desc(), User.id)
        .limit(TOP)
    ).all()
    lately = list(
        db.session.scalars(
            select(CameBack)
            .where(~CameBack.member_id.in_(private_members()))
            .order_by(CameBack.created_at.desc(), CameBack.id.desc())
            .limit(TOP)
        )
    )
    ids = set()
    for event in lately:
        ids |= {event.member_id} | people_in(event.chain)
    names = public_names(ids)
    return CommunityPage(
        acts_this_month=acts_this_month,
        longest=[(ripples, name) for ripples, name in longest],
        lately=[
            (event, name_of(names, event.member_id), third_person(event.chain, names, now))
            for event in lately
        ],
    )
