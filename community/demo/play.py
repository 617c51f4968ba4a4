"""The play's shared state and its acts.

A ``Play`` holds what every phase needs (the seed, one ``now``, the members
by email, the taxonomy, the counts) and the acts of the helping area, each
through the domain functions so that the search index, capacities and ranks
hold. An act is recorded on its request's ``Timeline``; once the request is
played out, ``date`` spreads its events over the past.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from community.accounts.models import User
from community.db import db
from community.demo.content.kindness import THANKS_NOTES
from community.demo.content.members import DEMO_DOMAIN
from community.demo.content.requests import (
    ANSWER_NOTES,
    CANCEL_REASONS_HELPER,
    CANCEL_REASONS_REQUESTER,
    DECLINE_REASONS,
    INVITATION_DECLINES,
    INVITATION_NOTES,
    QUESTIONS,
    RequestTemplate,
)
from community.helping import answers, capacity, fair_limits, matches, requests
from community.helping.models import (
    Answer,
    AnswerKind,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
    VolunteerOffer,
)
from community.kindness import service as kindness
from community.kindness.models import HelpAct, Pledge, Thanks
from community.notifications.models import Notification


@dataclass
class Timeline:
    """The events of one request, in order, to be dated in the past once it is done."""

    posted: datetime
    end: datetime
    events: list[tuple[str, object]] = field(default_factory=list)

    def add(self, kind: str, thing: object) -> None:
        self.events.append((kind, thing))


@dataclass
class Counts:
    offers: int = 0
    requests: int = 0
    answers: int = 0
    invitations: int = 0
    comments: int = 0
    matches: int = 0
    thanks: int = 0
    follows: int = 0
    welcomes: int = 0
    messages: int = 0
    members: int = 0  # personas of later phases (the moderator...)
    reports: int = 0
    manuscript_notes: int = 0  # readers' comments, notes and answers
    skipped: int = 0


class Play:
    """What the phases share: the members, the taxonomy, the counts, and the
    acts every phase plays through the domain functions (answer, accept,
    thank...), each recorded on a request's timeline to be dated afterwards."""

    def __init__(self, seed: int, now: datetime, users: dict[str, User], skills, genres):
        self.seed = seed
        self.now = now
        self.users = users
        self.skill_by_slug = {skill.slug: skill for skill in skills}
        self.genre_by_slug = {genre.slug: genre for genre in genres}
        self.counts = Counts()
        self.notification_marks: list[tuple[int, int, object]] = []
        # The members who play the roles of STORIES, by role (see cast_stories).
        self.cast: dict[str, User] = {}

    def volunteers_for(self, rng: random.Random, request: HelpRequest, exclude: set[int]):
        """Available volunteers, those sharing a skill of the request first, shuffled."""
        skill_ids = {skill.id for skill in request.skills}
        everyone = db.session.scalars(
            select(VolunteerOffer)
            .order_by(VolunteerOffer.user_id)
            .options(joinedload(VolunteerOffer.user), selectinload(VolunteerOffer.skill_links))
        ).all()
        # Room this month: answers already waiting count (fair_limits).
        waiting = fair_limits.waiting_answers_of(offer.user_id for offer in everyone)
        pool = [
            offer
            for offer in everyone
            if offer.user_id not in exclude
            and offer.user_id != request.requester_id
            and capacity.is_available(offer)
            and capacity.capacity_left(offer) > waiting.get(offer.user_id, 0)
            and offer.user.email.endswith(f"@{DEMO_DOMAIN}")
        ]
        sharing = [o for o in pool if skill_ids & {link.skill_id for link in o.skill_links}]
        others = [o for o in pool if o not in sharing]
        rng.shuffle(sharing)
        rng.shuffle(others)
        return [offer.user for offer in sharing + others]

    # --- one request ----------------------------------------------------------

    def post(
        self,
        requester: User,
        template: RequestTemplate,
        *,
        helpers: int | None = None,
        deadline: date | None = None,
    ) -> HelpRequest:
        """``requester`` posts ``template`` (raises the domain's error if refused)."""
        return requests.post_request(
            requester,
            requests.RequestInput(
                title=template.title,
                details=template.details,
                skill_ids=[self.skill_by_slug[slug].id for slug in template.skills],
                genre_id=self.genre_by_slug[template.genre].id if template.genre else None,
                format=template.format,
                effort=template.effort,
                deadline=deadline,
                helpers_wanted=template.helpers if helpers is None else helpers,
            ),
        )

    def posted_already(self, requester: User, template: RequestTemplate) -> bool:
        return bool(
            db.session.scalar(
                select(HelpRequest.id).where(
                    HelpRequest.requester_id == requester.id,
                    HelpRequest.title == template.title,
                )
            )
        )

    def note(self, rng: random.Random, request: HelpRequest) -> str:
        genre = request.genre.name.lower() if request.genre else "fellow"
        skill = request.skills[0].name.lower() if request.skills else "feedback"
        return rng.choice(ANSWER_NOTES).format(
            skill=skill, genre=genre, genre_cap=genre[:1].upper() + genre[1:]
        )

    def answer(self, rng, timeline, request, volunteer) -> Answer:
        answer = answers.answer_request(volunteer, request, self.note(rng, request))
        timeline.add("answer", answer)
        self.counts.answers += 1
        return answer

    def invite(self, rng, timeline, request, volunteer) -> Answer:
        answer = answers.invite_volunteer(
            request.requester, request, volunteer, rng.choice(INVITATION_NOTES)
        )
        timeline.add("answer", answer)
        self.counts.invitations += 1
        return answer

    def talk(self, rng, timeline, answer: Answer) -> None:
        request = answer.request
        genre = request.genre.name.lower() if request.genre else "this kind of book"
        question, reply = rng.choice(QUESTIONS)
        comment = answers.comment_on_answer(request.requester, answer, question.format(genre=genre))
        timeline.add("comment", comment)
        comment = answers.comment_on_answer(answer.volunteer, answer, reply)
        timeline.add("comment", comment)
        self.counts.comments += 2

    def accept(self, timeline, answer: Answer) -> Match:
        if answer.kind == AnswerKind.INVITATION:
            match = matches.accept_invitation(answer.volunteer, answer)
        else:
            match = matches.accept_answer(answer.request.requester, answer)
        timeline.add("match", match)
        self.counts.matches += 1
        return match

    def decline(self, rng, timeline, answer: Answer) -> None:
        if answer.kind == AnswerKind.INVITATION:
            answers.decline_invitation(answer.volunteer, answer, rng.choice(INVITATION_DECLINES))
        else:
            answers.decline_answer(answer.request.requester, answer, rng.choice(DECLINE_REASONS))
        timeline.add("respond", answer)

    def cancel(self, rng, timeline, match: Match, *, by_helper: bool) -> None:
        if by_helper:
            matches.cancel_match(match.helper, match, rng.choice(CANCEL_REASONS_HELPER))
        else:
            matches.cancel_match(match.requester, match, rng.choice(CANCEL_REASONS_REQUESTER))
        timeline.add("cancel", match)

    def thank(
        self, rng, timeline, match: Match, *, pledge: bool | None = None, private: bool = False
    ) -> Thanks:
        """The requester marks the help received and thanks the helper; the last
        thank-you of a request completes it."""
        request = match.request
        genre = request.genre.name.lower() if request.genre else "writing"
        name = match.helper.display_name.split()[0]
        body = rng.choice(THANKS_NOTES).format(name=name, genre=genre)
        if pledge is None:
            pledge = rng.random() < 0.5
        private = private or rng.random() < 0.12
        thanks = kindness.complete_match(
            match.requester, match, body, keep_private=private, pledge=pledge
        )
        timeline.add("thanks", thanks)
        self.counts.thanks += 1
        return thanks

    def date_events(self, rng, timeline: Timeline, request: HelpRequest) -> None:
        """Spread the request's events between when it was posted and ``end``."""
        span = timeline.end - timeline.posted
        moments = sorted(rng.uniform(0.05, 0.95) for _ in timeline.events)
        last_activity = timeline.posted
        for (kind, thing), share in zip(timeline.events, moments, strict=True):
            at = timeline.posted + span * share
            if kind in ("answer", "comment"):
                thing.created_at = at
                last_activity = at
            elif kind == "respond":
                thing.responded_at = at
            elif kind == "match":
                thing.created_at = at
                answer = db.session.get(Answer, thing.answer_id)
                answer.responded_at = at
                last_activity = at
            elif kind == "cancel":
                thing.ended_at = at
                last_activity = at
            elif kind == "thanks":
                self.date_thanks(thing, at, at)
                thing.match.ended_at = at
                last_activity = at
                if request.status == RequestStatus.COMPLETED:
                    request.ended_at = at
            elif kind == "end":
                at = timeline.end
                request.ended_at = at
                for match in db.session.scalars(
                    select(Match).where(
                        Match.request_id == request.id, Match.status == MatchStatus.COMPLETED
                    )
                ):
                    match.ended_at = at
        if request.status == RequestStatus.CLOSED:
            request.ended_at = timeline.end
        request.created_at = timeline.posted
        request.last_activity_at = last_activity
        request.updated_at = last_activity
        request.reminder_sent_at = None
        # Notifications caused by this request's events are as old as the request's last news.
        db.session.flush()
        for notification in db.session.scalars(
            select(Notification).where(Notification.created_at >= self.now)
        ):
            notification.created_at = min(last_activity, self.now)

    def date_news(self, at: datetime, *, unread: bool = False) -> None:
        """The notifications made since the play began (dated ``now`` or later)
        are as old as ``at``; read a few hours later unless ``unread``."""
        db.session.flush()
        for notification in db.session.scalars(
            select(Notification).where(Notification.created_at >= self.now)
        ):
            notification.created_at = at
            notification.read_at = None if unread else at + timedelta(hours=3)

    def date_thanks(self, thanks: Thanks, written: datetime, confirmed: datetime) -> None:
        """Date a thank-you, its act of help and its pledge (kept ones are settled at the end)."""
        thanks.created_at, thanks.confirmed_at = written, confirmed
        if thanks.act_id is not None:
            db.session.get(HelpAct, thanks.act_id).at = confirmed
        for pledge in db.session.scalars(select(Pledge).where(Pledge.thanks_id == thanks.id)):
            pledge.created_at, pledge.kept_at, pledge.kept_act_id = written, None, None
