"""The host's corner: what a newcomer logging in as the host finds (their
own open request with answers and two readers, a match each way, a pending invitation, a
request of theirs that was helped, and a past one)."""

from __future__ import annotations

import random
from datetime import timedelta

from community.accounts.models import User
from community.db import db
from community.demo.content.kindness import HOST_PAST_HELPER
from community.demo.content.members import HOST_EMAIL
from community.demo.content.requests import (
    HOST_ANSWERED,
    HOST_HELPS,
    HOST_INVITED,
    HOST_OPEN,
    HOST_PAST,
)
from community.demo.play import Play, Timeline
from community.errors import KindredError


def host_corner(play: Play) -> None:
    """The host's own request, matches both ways, an invitation and a past request."""
    host = play.users.get(HOST_EMAIL)
    others = [email for email in play.users if email != HOST_EMAIL]
    if host is None or len(others) < 6:
        return
    rng = random.Random(f"{play.seed}:host")
    first, second, third = rng.sample(others, 3)
    _play_host(play, "host-past", HOST_EMAIL, HOST_PAST, _host_past, age=(40, 60), ended=True)
    _play_host(play, "host-open", HOST_EMAIL, HOST_OPEN, _host_open, age=(4, 8))
    _play_host(play, "host-helps", first, HOST_HELPS, _host_helps, age=(5, 12))
    _play_host(play, "host-answered", second, HOST_ANSWERED, _host_answered, age=(1, 4))
    _play_host(play, "host-invited", third, HOST_INVITED, _host_invited, age=(1, 3))


def _play_host(play: Play, key, requester_email, template, scene, *, age, ended=False) -> None:
    requester = play.users.get(requester_email)
    if play.posted_already(requester, template):
        return
    rng = random.Random(f"{play.seed}:request:{key}")
    posted = play.now - timedelta(days=rng.uniform(*age))
    end = (
        posted + (play.now - posted) * 0.5
        if ended
        else play.now - timedelta(minutes=rng.uniform(5, 60))
    )
    timeline = Timeline(posted=posted, end=end)
    try:
        request = play.post(requester, template)
        scene(play, rng, timeline, request)
        play.date_events(rng, timeline, request)
        db.session.commit()
    except KindredError:
        db.session.rollback()
        play.counts.skipped += 1
        return
    play.counts.requests += 1


def _host_people(play, rng, request, count: int) -> list[User]:
    people = [p for p in play.volunteers_for(rng, request, set()) if p.email != HOST_EMAIL]
    if len(people) < count:
        raise KindredError("not enough demo volunteers")
    return people[:count]


def _host_open(play, rng, timeline, request) -> None:
    a, b, c, d, e = _host_people(play, rng, request, 5)
    accepted = play.answer(rng, timeline, request, a)
    declined = play.answer(rng, timeline, request, b)
    asked = play.answer(rng, timeline, request, c)
    play.talk(rng, timeline, accepted)
    play.accept(timeline, accepted)
    play.decline(rng, timeline, declined)
    play.talk(rng, timeline, asked)
    # A second reader says yes too: the manuscript (see manuscript.py) has two readers.
    play.accept(timeline, play.answer(rng, timeline, request, d))
    play.invite(rng, timeline, request, e)


def _host_past(play, rng, timeline, request) -> None:
    # The last step of the host's story (see STORIES), when it is cast.
    helper = play.cast.get(HOST_PAST_HELPER)
    if helper is None:
        (helper,) = _host_people(play, rng, request, 1)
    match = play.accept(timeline, play.answer(rng, timeline, request, helper))
    play.thank(rng, timeline, match, pledge=True, private=False)


def _host_helps(play, rng, timeline, request) -> None:
    host = play.users[HOST_EMAIL]
    (other,) = _host_people(play, rng, request, 1)
    play.answer(rng, timeline, request, other)
    mine = play.answer(rng, timeline, request, host)
    play.talk(rng, timeline, mine)
    play.accept(timeline, mine)


def _host_answered(play, rng, timeline, request) -> None:
    mine = play.answer(rng, timeline, request, play.users[HOST_EMAIL])
    play.talk(rng, timeline, mine)


def _host_invited(play, rng, timeline, request) -> None:
    play.invite(rng, timeline, request, play.users[HOST_EMAIL])
