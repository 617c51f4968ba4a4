"""The network: follows, follow-backs and personal welcomes, in time order.

The host follows a dozen members; most follow back and write the host a
welcome, so the host's feed is lively and their welcomes page full. Others
followed the host first: the host followed two of them back with a welcome
of their own, and the newest few still wait (unread "new follower" news:
the welcomes the host has yet to write). Among the other members, follows
run both ways with follow-backs and welcomes.

Everything goes through the network domain (``follows.follow``,
``welcomes.send_welcome``), events played oldest first and dated as they
happen, so that the domain's daily limits see a past spread over months.
Every welcome is one the coach approves (a question, about the other
person, naming their genre and what they want help with); a draft the coach
would hint at is not sent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from community.accounts.models import User
from community.db import db
from community.demo.content.members import HOST_EMAIL
from community.demo.content.network import WELCOMES
from community.demo.play import Play
from community.errors import KindredError
from community.network import coach, follows, welcomes
from community.network.models import Follow
from community.notifications.kinds import DAILY
from community.notifications.models import Notification
from community.notifications.service import set_preference

HOST_FOLLOWS = 12  # members the host follows
HOST_FOLLOWED_BACK = 8  # of them, those who follow back with a welcome
HOST_NEW_FOLLOWERS = 6  # members who followed the host first
HOST_WELCOMED = 2  # of them, those the host followed back and welcomed (the rest wait)
NETWORK_NEWS = ("new_follower", "welcome_received")
FRESH = timedelta(days=7)  # news younger than this is still unread


def welcome_text(rng: random.Random, recipient: User) -> str | None:
    """A welcome to ``recipient`` the coach approves, or None (a bare profile)."""
    profile = recipient.profile
    if profile is None or not profile.genres or not profile.wanted_skills:
        return None
    genre = rng.choice(profile.genres).name.lower()
    want = rng.choice(profile.wanted_skills).name.lower()
    first = recipient.display_name.split()[0]
    info = welcomes.recipient_info(recipient)
    for template in rng.sample(WELCOMES, len(WELCOMES)):
        text = template.format(first=first, genre=genre, want=want)
        if not coach.coach(text, info).codes(ok=False):
            return text
    return None


def _plan(play: Play, rng: random.Random, host: User, members: list[User]):
    """(when, kind, actor, other, unread) for every event, in any order."""
    now = play.now
    events = []

    def follow_back_and_welcome(first: User, second: User, at: datetime, *, unread=False):
        back = min(at + timedelta(hours=rng.uniform(1, 40)), now - timedelta(minutes=30))
        events.append((at, "follow", first, second, unread))
        events.append((back, "follow", second, first, unread))
        welcomed = back + timedelta(minutes=rng.uniform(5, 180))
        events.append((min(welcomed, now - timedelta(minutes=5)), "welcome", second, first, unread))

    chosen = rng.sample(members, HOST_FOLLOWS + HOST_NEW_FOLLOWERS)
    host_follows, new_followers = chosen[:HOST_FOLLOWS], chosen[HOST_FOLLOWS:]
    for index, member in enumerate(host_follows):
        at = now - timedelta(days=rng.uniform(8, 120))
        if index < HOST_FOLLOWED_BACK:
            follow_back_and_welcome(host, member, at)
        else:
            events.append((at, "follow", host, member, False))
    for index, member in enumerate(new_followers):
        if index < HOST_WELCOMED:
            follow_back_and_welcome(member, host, now - timedelta(days=rng.uniform(10, 60)))
        else:
            # Within the last few days: the host has not answered yet.
            at = now - timedelta(days=rng.uniform(0.2, 5))
            events.append((at, "follow", member, host, True))

    pairs = set()
    for member in members:
        for other in rng.sample(members, rng.randint(1, 4)):
            if other.id == member.id or (member.id, other.id) in pairs:
                continue
            pairs |= {(member.id, other.id), (other.id, member.id)}
            at = now - timedelta(days=rng.uniform(1, 150))
            roll = rng.random()
            if roll < 0.3:
                follow_back_and_welcome(member, other, at)
            elif roll < 0.5:
                back = min(at + timedelta(hours=rng.uniform(1, 72)), now - timedelta(minutes=30))
                events.append((at, "follow", member, other, False))
                events.append((back, "follow", other, member, False))
            else:
                events.append((at, "follow", member, other, False))
    return events


def play_network(play: Play) -> None:
    """Follows and welcomes among the demo members, the host's included; commits.
    Nothing happens when the host already follows someone (a second run)."""
    host = play.users.get(HOST_EMAIL)
    members = [user for email, user in sorted(play.users.items()) if email != HOST_EMAIL]
    if host is None or len(members) < HOST_FOLLOWS + HOST_NEW_FOLLOWERS:
        return
    if db.session.scalar(select(Follow.followed_id).where(Follow.follower_id == host.id).limit(1)):
        return
    # Most members take network news in the daily digest (a choice on their
    # notifications page); the host hears of it at once, as a newcomer does.
    for member in members:
        for kind_name in NETWORK_NEWS:
            set_preference(member.id, kind_name, DAILY)
    rng = random.Random(f"{play.seed}:network")
    events = _plan(play, rng, host, members)
    events.sort(key=lambda event: (event[0], event[2].id, event[3].id))
    texts = random.Random(f"{play.seed}:welcomes")
    for at, kind, actor, other, unread in events:
        try:
            with db.session.begin_nested():
                if kind == "follow":
                    follows.follow(actor, other).created_at = at
                    play.counts.follows += 1
                else:
                    text = welcome_text(texts, other)
                    if text is None:
                        continue
                    welcomes.send_welcome(actor, other, text).created_at = at
                    play.counts.welcomes += 1
        except KindredError:
            continue  # a follow already there (a pair drawn twice): nothing to add
        _date_news(play, at, unread=unread)
    db.session.commit()


def _date_news(play: Play, at: datetime, *, unread: bool) -> None:
    """The notifications the event just made are as old as the event."""
    db.session.flush()
    for notification in db.session.scalars(
        select(Notification).where(Notification.created_at >= play.now)
    ):
        notification.created_at = at
        recent = unread or at >= play.now - FRESH
        notification.read_at = None if recent else at + timedelta(hours=3)
