"""A demo community for ``flask seed-demo`` (``make demo``).

Members get varied names, stages, genres, wants and offers, timezones and
links. Most of them keep a volunteer offer; help requests are played out in
every state (open, matched, completed, closed, expired) with answers,
invitations, questions, declines with kind reasons, and matches (active,
completed, cancelled with a reason), all through the domain functions so
that the search index, capacities and ranks hold, then dated in the past.
The host (an admin) has an open request with answers, an active match each
way, a pending invitation and an offer, so a newcomer logging in as the host
sees every part of the site.

Completed help is thanked (some thank-yous kept private, many with a pledge
to pay it forward), and a few deliberate stories (STORIES) run through the
months so that kindness comes back: a three-step and a four-step chain, and
two that come back to the host. The ripples are rebuilt at the end, pledges
kept by the dated acts, and came-back events dated when their chain ended.

The network and the chat are alive too: members follow each other (the host
follows and is followed by a dozen), follow back with personal welcomes the
coach approves, a few new followers wait for the host's welcome, and match
and connection conversations hold a believable exchange of messages, sent
through the chat domain with only its rate limit set aside.

The package keeps what the demo says apart from how it is built:
``content/`` holds the data (members' words, request templates, thank-you
notes, stories), and one module per phase plays it through the domain:
``members`` (members and profiles), ``offers``, ``requests`` (the requests'
shapes), ``host`` (the host's corner), ``stories`` (kindness coming back),
``network`` (follows and welcomes), ``chats`` (conversations), ``settle``
(signals, ranks and periodic jobs after the play), all sharing the acts of
``play``.

Every choice is drawn from a random generator seeded by the seed and the
thing being made, so the same seed gives the same community. Running it
again adds nothing that is already there. Like the site, it sends the
emails its events cause (to MAIL_FILE_DIR without an SMTP server).
"""

from __future__ import annotations

import random

import click
from sqlalchemy import func, select

from community.accounts.models import User
from community.db import db, utcnow
from community.demo.chats import play_chats, without_rate_limit
from community.demo.content.members import DEMO_DOMAIN, DEMO_PASSWORD, HOST_EMAIL
from community.demo.content.moderation import MODERATOR_EMAIL
from community.demo.content.requests import REQUESTS, SHAPES
from community.demo.host import host_corner
from community.demo.manuscript import play_manuscript
from community.demo.members import create_members
from community.demo.moderation import play_moderation
from community.demo.network import play_network
from community.demo.offers import make_offer
from community.demo.play import Play
from community.demo.requests import play_request
from community.demo.settle import settle_helping
from community.demo.stories import play_stories, settle_kindness
from community.helping.models import Answer, HelpRequest, Match, RequestStatus, VolunteerOffer
from community.kindness.models import CameBack, HelpAct, MemberRipples, Pledge, Thanks, ThanksStatus
from community.notifications.models import Notification
from community.profiles.models import Genre, Skill

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "HOST_EMAIL",
    "MODERATOR_EMAIL",
    "seed_demo_community",
]


def summary_counts() -> dict[str, int]:
    by_status = dict(
        db.session.execute(
            select(HelpRequest.status, func.count(HelpRequest.id)).group_by(HelpRequest.status)
        ).all()
    )
    return {
        "members": db.session.scalar(select(func.count(User.id))),
        "offers": db.session.scalar(select(func.count(VolunteerOffer.user_id))),
        "requests": sum(by_status.values()),
        "answers": db.session.scalar(select(func.count(Answer.id))),
        "matches": db.session.scalar(select(func.count(Match.id))),
        "acts": db.session.scalar(select(func.count(HelpAct.id))),
        "thanks": db.session.scalar(
            select(func.count(Thanks.id)).where(Thanks.status == ThanksStatus.CONFIRMED)
        ),
        "pledges": db.session.scalar(select(func.count(Pledge.id))),
        "pledges_kept": db.session.scalar(
            select(func.count(Pledge.id)).where(Pledge.kept_at.is_not(None))
        ),
        "came_back": db.session.scalar(select(func.count(CameBack.id))),
        "longest_chain": db.session.scalar(select(func.max(MemberRipples.longest_chain))) or 0,
        **{status.value: by_status.get(status.value, 0) for status in RequestStatus},
    }


def seed_demo_community(members: int = 60, seed: int = 2011) -> dict[str, int]:
    """Create up to ``members`` demo members (plus a host account) and their helping
    activity: offers, requests in every state, answers, invitations, comments and
    matches. Commits.

    Idempotent: a member, an offer or a request (by requester and title) that is
    already there is left as it is. Deterministic: every choice comes from a
    random generator seeded by ``seed`` and the thing being made, so the same
    seed gives the same community. Returns what this run created.
    """
    rng = random.Random(seed)
    genres = db.session.scalars(select(Genre).order_by(Genre.position)).all()
    skills = db.session.scalars(select(Skill).order_by(Skill.position)).all()
    if not genres or not skills:
        raise click.ClickException("The taxonomy is missing: run `flask db upgrade` first.")
    now = utcnow()
    created, emails = create_members(rng, members, now, genres, skills)

    users = {
        user.email: user
        for user in db.session.scalars(select(User).where(User.email.in_(emails)))
        if user.is_verified and not user.is_deleted
    }
    play = Play(
        seed, now, {email: users[email] for email in emails if email in users}, skills, genres
    )
    requesters = [email for email in emails if email != HOST_EMAIL]
    shapes = list(SHAPES)
    random.Random(f"{seed}:shapes").shuffle(shapes)
    plays = (
        [
            (
                str(index),
                random.Random(f"{seed}:requester:{index}").choice(requesters),
                template,
                shape,
            )
            for index, (template, shape) in enumerate(zip(REQUESTS, shapes, strict=True))
        ]
        if requesters
        else []
    )
    started_notification_id = db.session.scalar(select(func.max(Notification.id))) or 0
    steps = (
        [("offer", email) for email in emails]
        + [("stories", None), ("host", None)]
        + [("request", item) for item in plays]
        + [("network", None), ("chats", None), ("manuscript", None), ("moderation", None)]
    )
    with (
        without_rate_limit(),
        click.progressbar(
            steps, label="Offers, requests, matches, follows, chats, a manuscript and reports"
        ) as bar,
    ):
        for kind, item in bar:
            if kind == "offer":
                make_offer(play, item, genres)
                db.session.commit()
            elif kind == "stories":
                play_stories(play)
            elif kind == "host":
                host_corner(play)
            elif kind == "network":
                play_network(play)
            elif kind == "chats":
                play_chats(play)
            elif kind == "manuscript":
                play_manuscript(play)
            elif kind == "moderation":
                play_moderation(play)
            else:
                play_request(play, *item)
    if play.counts.offers or play.counts.requests:
        settle_helping(play, started_notification_id)
    settle_kindness(play, started_notification_id)

    made = play.counts
    total = summary_counts()
    click.echo(
        f"Demo community ready: {created + made.members} members, {made.offers} offers, "
        f"{made.requests} requests, {made.answers} answers, {made.invitations} invitations, "
        f"{made.comments} comments, {made.matches} matches, {made.thanks} thank-yous, "
        f"{made.follows} follows, {made.welcomes} welcomes, {made.messages} chat messages, "
        f"{made.manuscript_notes} readers' comments and answers and {made.reports} reports "
        "created"
        + (f" ({made.skipped} requests skipped: too few volunteers)" if made.skipped else "")
        + f"; {total['members']} members, {total['offers']} offers and {total['requests']} "
        f"requests in all ({total['open']} open, {total['matched']} matched, "
        f"{total['completed']} completed, {total['closed']} closed, {total['expired']} "
        f"expired); {total['acts']} acts of help, {total['thanks']} thank-yous, "
        f"{total['pledges']} pledges to pay it forward ({total['pledges_kept']} kept), "
        f"{total['came_back']} times kindness came back (longest chain "
        f"{total['longest_chain']}). Log in as {HOST_EMAIL} (admin), {MODERATOR_EMAIL} "
        f"(moderator) or any member with the password {DEMO_PASSWORD}."
    )
    return {
        **{name: getattr(made, name) for name in vars(made)},
        "members": created + made.members,
    }
