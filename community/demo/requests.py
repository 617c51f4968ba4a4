"""Offers and requests, phase by phase: each of the demo's requests is posted
and played out in its shape (open, answered, matched, completed, closed,
expired...) through the domain functions, then dated in the past."""

from __future__ import annotations

import random
from datetime import timedelta

from community.db import db
from community.demo.content.requests import AGES, RequestTemplate
from community.demo.play import Play, Timeline
from community.errors import KindredError
from community.helping import answers, requests
from community.helping.models import HelpRequest


def play_request(
    play: Play, key: str, requester_email: str, template: RequestTemplate, shape: str
) -> bool:
    """Post one request and play its shape out; commit. False if skipped."""
    requester = play.users.get(requester_email)
    if requester is None:
        return False
    if play.posted_already(requester, template):
        return False
    rng = random.Random(f"{play.seed}:request:{key}")
    low, high = AGES.get(shape, (1, 10))
    posted = play.now - timedelta(days=rng.uniform(low, high))
    # Ended requests have a quiet tail; open ones run up to a few minutes ago.
    if shape.startswith(("completed", "closed")):
        end = posted + (play.now - posted) * rng.uniform(0.3, 0.7)
    elif shape == "expired":
        end = posted + timedelta(days=rng.uniform(1, 5))  # then a quiet month
    else:
        end = play.now - timedelta(minutes=rng.uniform(5, 120))
    timeline = Timeline(posted=posted, end=end)
    helpers = template.helpers
    if shape == "open_partial":
        helpers = max(helpers, 2)
    elif shape in ("matched_after_cancel", "closed_after_cancel", "completed_via_invitation"):
        helpers = 1
    deadline = (
        play.now.date() + timedelta(days=rng.randint(14, 90))
        if shape.startswith(("open", "matched")) and rng.random() < 0.4
        else None
    )
    try:
        request = play.post(requester, template, helpers=helpers, deadline=deadline)
        _play_shape(play, rng, timeline, request, shape)
        play.date_events(rng, timeline, request)
        db.session.commit()
    except KindredError:
        # Not enough free volunteers for this shape (a small --members): skip it whole.
        db.session.rollback()
        play.counts.skipped += 1
        return False
    play.counts.requests += 1
    return True


def _play_shape(play: Play, rng, timeline, request: HelpRequest, shape: str) -> None:
    people = iter(play.volunteers_for(rng, request, set()))

    def volunteer():
        person = next(people, None)
        if person is None:
            raise KindredError("not enough demo volunteers")
        return person

    if shape == "open_answered":
        pending = [play.answer(rng, timeline, request, volunteer()) for _ in range(3)]
        play.talk(rng, timeline, pending[0])
        if rng.random() < 0.5:
            answers.withdraw_answer(pending[-1].volunteer, pending[-1])
            timeline.add("respond", pending[-1])
    elif shape == "open_partial":
        first, second = (play.answer(rng, timeline, request, volunteer()) for _ in range(2))
        play.talk(rng, timeline, first)
        play.accept(timeline, first)
        play.answer(rng, timeline, request, volunteer())
        play.decline(rng, timeline, second)
    elif shape == "open_invited":
        play.invite(rng, timeline, request, volunteer())
        if rng.random() < 0.6:
            play.answer(rng, timeline, request, volunteer())
    elif shape == "invitation_declined":
        invitation = play.invite(rng, timeline, request, volunteer())
        play.decline(rng, timeline, invitation)
        play.answer(rng, timeline, request, volunteer())
    elif shape in ("matched", "completed"):
        offered = [
            play.answer(rng, timeline, request, volunteer())
            for _ in range(request.helpers_wanted + 1)
        ]
        play.talk(rng, timeline, offered[0])
        # Declined before the last place is filled (which would close it kindly).
        play.decline(rng, timeline, offered[-1])
        made = [play.accept(timeline, answer) for answer in offered[:-1]]
        if shape == "completed":
            for match in made:
                play.thank(rng, timeline, match)
    elif shape == "matched_after_cancel":
        first = play.answer(rng, timeline, request, volunteer())
        play.cancel(rng, timeline, play.accept(timeline, first), by_helper=True)
        # The place is free again: someone else offers and is accepted.
        play.accept(timeline, play.answer(rng, timeline, request, volunteer()))
    elif shape == "completed_via_invitation":
        invitation = play.invite(rng, timeline, request, volunteer())
        play.thank(rng, timeline, play.accept(timeline, invitation))
    elif shape == "closed":
        if rng.random() < 0.7:
            play.decline(rng, timeline, play.answer(rng, timeline, request, volunteer()))
        requests.close_request(request.requester, request)
        timeline.add("end", request)
    elif shape == "closed_after_cancel":
        match = play.accept(timeline, play.answer(rng, timeline, request, volunteer()))
        play.cancel(rng, timeline, match, by_helper=False)
        requests.close_request(request.requester, request)
        timeline.add("end", request)
    elif shape == "expired" and rng.random() < 0.5:
        # Someone offered, then took it back; then nothing for a month.
        answer = play.answer(rng, timeline, request, volunteer())
        answers.withdraw_answer(answer.volunteer, answer)
        timeline.add("respond", answer)
    # open_new, open_quiet, expired: nobody has answered yet.
