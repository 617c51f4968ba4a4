"""Kindness: the stories (STORIES) played out month by month, each step a
match thanked or help outside the site confirmed, then the pledges settled,
the ripples rebuilt and the times kindness came back dated when their chain
ended."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.db import db
from community.demo.content.kindness import OUTSIDE_NOTES, STORIES, StoryStep
from community.demo.content.members import DEMO_DOMAIN, HOST_EMAIL
from community.demo.play import Play, Timeline
from community.errors import KindredError
from community.helping import offers
from community.helping.models import HelpRequest
from community.kindness import service as kindness
from community.kindness.jobs import rebuild_ripples
from community.kindness.models import CameBack, HelpAct, Pledge, Thanks
from community.notifications.models import Notification


def cast_stories(play: Play) -> None:
    """Give each role of STORIES a demo volunteer (the same ones on every run)."""
    host = play.users.get(HOST_EMAIL)
    roles = sorted(({s.helper for s in STORIES} | {s.helped for s in STORIES}) - {"host"})
    candidates = [
        user
        for email, user in sorted(play.users.items())
        if email != HOST_EMAIL
        and (offer := offers.offer_of(user.id)) is not None
        and not offer.on_break
    ]
    if host is None or len(candidates) < len(roles):
        return
    chosen = random.Random(f"{play.seed}:cast").sample(candidates, len(roles))
    play.cast = {"host": host, **dict(zip(roles, chosen, strict=True))}


def play_stories(play: Play) -> None:
    """Play STORIES out, each step through a match or as help outside one; commit."""
    cast_stories(play)
    if not play.cast:
        return
    outside = 0
    for index, step in enumerate(STORIES):
        if step.template is None:
            _story_outside(play, index, step, OUTSIDE_NOTES[outside % len(OUTSIDE_NOTES)])
            outside += 1
        else:
            _story_match(play, index, step)


def _story_match(play: Play, index: int, step: StoryStep) -> None:
    helper, helped, template = play.cast[step.helper], play.cast[step.helped], step.template
    if db.session.scalar(select(HelpRequest.id).where(HelpRequest.title == template.title)):
        return
    rng = random.Random(f"{play.seed}:story:{index}")
    end = play.now - timedelta(days=step.days_ago)
    timeline = Timeline(posted=end - timedelta(days=rng.uniform(4, 9)), end=end)
    try:
        request = play.post(helped, template, helpers=1)
        answer = play.answer(rng, timeline, request, helper)
        play.talk(rng, timeline, answer)
        match = play.accept(timeline, answer)
        play.thank(rng, timeline, match, pledge=step.pledge, private=step.private)
        play.date_events(rng, timeline, request)
        # Help given in a month gone by leaves this month's capacity free.
        if match.created_at.strftime("%Y-%m") != offers.current_month():
            offers.release_capacity(helper.id, offers.current_month())
        db.session.commit()
    except KindredError:
        db.session.rollback()
        play.counts.skipped += 1
        return
    play.counts.requests += 1


def _story_outside(play: Play, index: int, step: StoryStep, note: str) -> None:
    """ "X helped me": the helped member thanks, the helper confirms it."""
    helper, helped = play.cast[step.helper], play.cast[step.helped]
    if db.session.scalar(
        select(Thanks.id).where(
            Thanks.author_id == helped.id,
            Thanks.helper_id == helper.id,
            Thanks.match_id.is_(None),
        )
    ):
        return
    rng = random.Random(f"{play.seed}:story:{index}")
    confirmed = play.now - timedelta(days=step.days_ago)
    written = confirmed - timedelta(hours=rng.uniform(5, 60))
    body = note.format(name=helper.display_name.split()[0])
    try:
        thanks = kindness.thank_outside(
            helped, helper, body, keep_private=step.private, pledge=step.pledge
        )
        kindness.confirm_thanks(helper, thanks)
        play.date_thanks(thanks, written, confirmed)
        db.session.flush()
        for notification in db.session.scalars(
            select(Notification).where(Notification.created_at >= play.now)
        ):
            notification.created_at = written
            notification.read_at = confirmed
        db.session.commit()
    except KindredError:
        db.session.rollback()
        play.counts.skipped += 1
        return
    play.counts.thanks += 1


def settle_kindness(play: Play, started_notification_id: int) -> None:
    """Settle the pledges by the dated acts, rebuild the ripples, and date
    the came-back events (and their notifications) when their chain ended."""
    acts_of: dict[int, list[HelpAct]] = {}
    for act in db.session.scalars(select(HelpAct).order_by(HelpAct.at, HelpAct.id)):
        acts_of.setdefault(act.helper_id, []).append(act)
    for pledge in db.session.scalars(
        select(Pledge)
        .join(User, User.id == Pledge.user_id)
        .where(User.email.like(f"%@{DEMO_DOMAIN}"))
        .options(joinedload(Pledge.thanks))
    ):
        # Kept by the pledger's first act of help afterwards, for someone
        # other than the member they thanked (as the service keeps them).
        kept = next(
            (
                act
                for act in acts_of.get(pledge.user_id, [])
                if act.at > pledge.created_at and act.helped_id != pledge.thanks.helper_id
            ),
            None,
        )
        pledge.kept_at = kept.at if kept else None
        pledge.kept_act_id = kept.id if kept else None
    db.session.commit()
    rebuild_ripples()
    came_back: dict[int, datetime] = {}
    for event in db.session.scalars(select(CameBack).where(CameBack.created_at >= play.now)):
        at = datetime.fromisoformat(event.chain[-1]["at"])
        event.created_at = at
        if event.notified_at is not None:
            event.notified_at = at
        came_back[event.id] = at
    for notification in db.session.scalars(
        select(Notification).where(
            Notification.id > started_notification_id,
            Notification.kind == "kindness_came_back",
        )
    ):
        when = came_back.get((notification.data or {}).get("came_back_id"))
        if when is not None:
            # (Other requests' dating swept it along with their own news: undo that.)
            notification.created_at = when
            recent = when >= play.now - timedelta(days=7)
            notification.read_at = None if recent else when + timedelta(hours=3)
    db.session.commit()
