"""Fair limits against spraying (community/helping/fair_limits.py): answers
waiting per request, answers waiting against a volunteer's month, the kind
"places are filled", races, and the property that no sequence of acts ever
overfills a volunteer's month or a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from community.accounts.models import User
from community.db import db, utcnow
from community.errors import KindredError
from community.helping import answers, capacity, fair_limits, honest, matches, matching
from community.helping.errors import HelpingError, NoPlaceLeft
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    VolunteerOffer,
)
from community.notifications import service as notifications
from tests.builders import accept, answer, notifications_of, reload
from tests.conftest import empty_tables
from tests.helping.test_matches import run_at_once


@pytest.fixture
def ann(make_user):
    return make_user(display_name="Ann Asker")


def pending(request, kind: str | None = None) -> int:
    statement = select(func.count(Answer.id)).where(
        Answer.request_id == request.id, Answer.status == AnswerStatus.PENDING
    )
    if kind:
        statement = statement.where(Answer.kind == kind)
    return db.session.scalar(statement)


# --- per request ---------------------------------------------------------------------


@pytest.mark.parametrize("settings", [{"PENDING_INVITATIONS_PER_REQUEST": 2}])
def test_a_request_holds_a_few_invitations_waiting_per_place(
    app, ann, make_volunteer, make_request
):
    crew = [make_volunteer(f"Vol {i}", "beta-reading") for i in range(6)]
    request = make_request(ann)
    first, _second = (answers.invite_volunteer(ann, request, v) for v in crew[:2])
    db.session.commit()
    with pytest.raises(HelpingError) as refused:
        answers.invite_volunteer(ann, reload(request), crew[2])
    db.session.rollback()
    said = str(refused.value)
    assert "2 invitations waiting for a reply" in said and "1 helper place" in said
    assert "ends by itself after 4 days" in said
    assert pending(request) == 2

    # A reply frees a slot at once: a "not this time" as well as a yes.
    answers.decline_invitation(crew[0], reload(first), "Not this month, sorry.")
    db.session.commit()
    answers.invite_volunteer(ann, reload(request), crew[2])
    db.session.commit()
    assert pending(request, AnswerKind.INVITATION) == 2

    # Each helper place wanted holds as many.
    wide = make_request(ann, title="Three readers for my fantasy novel", helpers=2)
    for volunteer in crew[:4]:
        answers.invite_volunteer(ann, reload(wide), volunteer)
        db.session.commit()
    with pytest.raises(HelpingError, match=r"4 invitations waiting.*2 helper places"):
        answers.invite_volunteer(ann, reload(wide), crew[4])
    db.session.rollback()


@pytest.mark.parametrize("settings", [{"PENDING_ANSWERS_PER_REQUEST": 2}])
def test_a_request_takes_a_few_offers_waiting_per_place(app, ann, make_volunteer, make_request):
    crew = [make_volunteer(f"Vol {i}", "beta-reading") for i in range(4)]
    request = make_request(ann)
    first = answer(crew[0], request)
    answer(crew[1], request)
    with pytest.raises(HelpingError) as refused:
        answers.answer_request(crew[2], reload(request), "Me too, please!")
    db.session.rollback()
    said = str(refused.value)
    assert "2 offers already wait for Ann's reply" in said and "look again in a few days" in said
    assert pending(request) == 2

    # Withdrawn, declined or expired, an offer no longer waits.
    answers.withdraw_answer(crew[0], reload(first))
    db.session.commit()
    answer(crew[2], reload(request))
    late = db.session.scalar(
        select(Answer).where(Answer.request_id == request.id, Answer.volunteer_id == crew[1].id)
    )
    honest.expire(late, utcnow())
    db.session.commit()
    answer(crew[3], reload(request))
    assert pending(request) == 2


@pytest.mark.parametrize("settings", [{"PENDING_ANSWERS_PER_REQUEST": 1}])
def test_offers_racing_for_a_requests_last_slot(app, ann, make_volunteer, make_request):
    crew = [make_volunteer(f"Racer {i}", "beta-reading") for i in range(4)]
    request = make_request(ann)
    db.session.commit()
    ids = [volunteer.id for volunteer in crew]
    request_id = request.id

    def answering(user_id):
        def attempt(barrier):
            volunteer = db.session.get(User, user_id)
            target = db.session.get(HelpRequest, request_id)
            barrier.wait(timeout=30)
            return answers.answer_request(volunteer, target, "I can help!").id

        return attempt

    outcomes = run_at_once(app, [answering(user_id) for user_id in ids])
    made = [o for o in outcomes if isinstance(o, int)]
    assert len(made) == 1, outcomes
    # PostgreSQL waits on the request's row lock, then counts again: the
    # limit's own words. SQLite may also answer "try again".
    assert all(isinstance(o, KindredError) for o in outcomes if not isinstance(o, int))
    db.session.expire_all()
    assert pending(request) == 1


# --- per volunteer -------------------------------------------------------------------


def test_answers_waiting_count_against_a_volunteers_month(
    app, ann, make_user, make_volunteer, make_request
):
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=2)
    requests_ = [make_request(make_user(), title=f"Novel number {i + 1}") for i in range(4)]
    first = answer(vic, requests_[0])
    answers.invite_volunteer(requests_[1].requester, reload(requests_[1]), vic)
    db.session.commit()
    room = fair_limits.room_of(vic.id)
    assert (room.capacity, room.matched, room.waiting, room.free) == (2, 0, 2, 0)

    with pytest.raises(HelpingError) as refused:
        answers.answer_request(vic, reload(requests_[2]), "And this one!")
    db.session.rollback()
    said = str(refused.value)
    assert "2 requests a month" in said and "2 answers waiting for a reply" in said
    assert "Withdraw an offer that is still waiting" in said
    assert refused.value.field == "note"
    # Requesters are not offered someone who could not take it on...
    assert matching.suggest_volunteers(reload(requests_[3])) == []
    # ...and cannot invite them.
    with pytest.raises(HelpingError, match="no room for another invitation"):
        answers.invite_volunteer(requests_[3].requester, reload(requests_[3]), vic)
    db.session.rollback()

    # A match fills one of the two; a withdrawn offer frees the other.
    accept(requests_[0].requester, reload(first))
    assert fair_limits.room_of(vic.id).free == 0
    invitation = db.session.scalar(select(Answer).where(Answer.request_id == requests_[1].id))
    answers.decline_invitation(vic, invitation)
    db.session.commit()
    assert fair_limits.room_of(vic.id).free == 1
    answer(vic, reload(requests_[2]))
    assert capacity.capacity_left(db.session.get(VolunteerOffer, vic.id)) == 1


def test_a_volunteer_on_a_break_is_told_how_to_offer_again(app, ann, make_volunteer, make_request):
    vic = make_volunteer("Vic Volunteer", "beta-reading", on_break=True)
    with pytest.raises(HelpingError, match="on a break"):
        answers.answer_request(vic, make_request(ann), "I can help")
    db.session.rollback()


# --- the places are filled ------------------------------------------------------------


def test_the_last_place_filled_closes_the_answers_waiting_kindly(
    app, ann, make_volunteer, make_request
):
    vic, wes, xan = (make_volunteer(name, "beta-reading") for name in ("Vic", "Wes", "Xan"))
    request = make_request(ann, helpers=2)
    chosen, waiting = answer(vic, request), answer(wes, request)
    invited = answers.invite_volunteer(ann, reload(request), xan)
    db.session.commit()

    accept(ann, chosen)  # one of two places: the others still wait
    assert pending(request) == 2
    # Xan says yes: the last place; Wes's offer closes at once.
    accept_xan = matches.accept_invitation(xan, reload(invited))
    db.session.commit()
    assert reload(request).status == "matched"
    closed = reload(waiting)
    assert closed.status == AnswerStatus.DECLINED and closed.filled_at is not None
    assert closed.expired_at is None
    [note] = notifications_of(wes, "places_filled")
    said = notifications.render_message(note)
    assert "“Beta readers for my fantasy novel” are filled now" in said
    assert "Thank you for being ready to help" in said
    assert notifications_of(vic, "places_filled") == []  # matched, not told off
    assert fair_limits.room_of(wes.id).waiting == 0  # his month is free again

    with pytest.raises(NoPlaceLeft, match="already taken"):
        matches.accept_answer(ann, closed)
    db.session.rollback()

    # A place frees again: Wes may offer once more.
    matches.cancel_match(xan, reload(accept_xan), "Something came up, I am sorry.")
    db.session.commit()
    again = answer(wes, reload(request), "Still happy to help!")
    assert again.id == closed.id and again.status == AnswerStatus.PENDING
    assert again.filled_at is None


# --- the property -----------------------------------------------------------------------

ACTS = ("answer", "invite", "accept", "decline", "expire", "withdraw", "cancel", "complete")


def _world(make_user, make_volunteer, make_request):
    """Three volunteers (capacity 1, capacity 2, no offer) and three requests
    (wanting 1, 2 and 1 helpers) of two requesters, in empty tables (the
    session's transaction ended first: TRUNCATE waits for its locks)."""
    db.session.rollback()
    empty_tables()
    askers = [make_user(display_name="Ann Asker"), make_user(display_name="Bea Asker")]
    volunteers = [
        make_volunteer("Vic One", "beta-reading", capacity=1),
        make_volunteer("Wes Two", "beta-reading", capacity=2),
        make_user(display_name="Xan Noffer"),
    ]
    requests_ = [
        make_request(askers[0], title="A novel for one reader", helpers=1),
        make_request(askers[1], title="A novel for two readers", helpers=2),
        make_request(askers[0], title="Another novel for one", helpers=1),
    ]
    return volunteers, requests_


def _act(act: str, volunteer, request) -> None:
    found = db.session.scalar(
        select(Answer).where(Answer.request_id == request.id, Answer.volunteer_id == volunteer.id)
    )
    match = db.session.scalar(
        select(Match).where(
            Match.request_id == request.id,
            Match.helper_id == volunteer.id,
            Match.status == MatchStatus.ACTIVE,
        )
    )
    if act == "answer":
        answers.answer_request(volunteer, request, "I can help with this.")
    elif act == "invite":
        answers.invite_volunteer(request.requester, request, volunteer)
    elif act == "accept" and found is not None:
        if found.kind == AnswerKind.OFFER:
            matches.accept_answer(request.requester, found)
        else:
            matches.accept_invitation(volunteer, found)
    elif act == "decline" and found is not None:
        if found.kind == AnswerKind.OFFER:
            answers.decline_answer(request.requester, found)
        else:
            answers.decline_invitation(volunteer, found)
    elif act == "expire" and found is not None and found.status == AnswerStatus.PENDING:
        honest.expire(found, utcnow())
    elif act == "withdraw" and found is not None:
        answers.withdraw_answer(volunteer, found)
    elif act == "cancel" and match is not None:
        matches.cancel_match(request.requester, match, "We agreed to stop here.")
    elif act == "complete" and match is not None:
        matches.complete_match(request.requester, match)


def _check_invariants(volunteers, requests_) -> None:
    month_start = fair_limits._month_start()
    for volunteer in volunteers:
        held = db.session.scalar(
            select(func.count(Match.id)).where(
                Match.helper_id == volunteer.id,
                Match.created_at >= month_start,
                Match.status != MatchStatus.CANCELLED,
            )
        )
        offer = db.session.get(VolunteerOffer, volunteer.id)
        room = offer.monthly_capacity if offer else fair_limits.ONE_OFF_CAPACITY
        waiting = fair_limits.waiting_answers(volunteer.id)
        assert held <= room, (volunteer.display_name, held, room)
        # Every answer waiting could still be accepted.
        assert held + waiting <= room, (volunteer.display_name, held, waiting, room)
        if offer is not None:
            assert offer.capacity_used == held
    for request in requests_:
        request = reload(request)
        helpers = db.session.scalar(
            select(func.count(Match.id)).where(
                Match.request_id == request.id, Match.status != MatchStatus.CANCELLED
            )
        )
        assert helpers <= request.helpers_wanted, (request.title, helpers)
        assert request.places_taken == helpers
        if request.places_taken == request.helpers_wanted:
            assert pending(request) == 0  # the places are filled: nobody waits


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(ACTS),
            st.integers(min_value=0, max_value=2),  # which volunteer
            st.integers(min_value=0, max_value=2),  # which request
        ),
        min_size=1,
        max_size=25,
    )
)
def test_no_sequence_of_acts_overfills_a_month_or_a_request(
    app, make_user, make_volunteer, make_request, steps
):
    """Whatever the order of answers, invitations, accepts, declines,
    expiries, withdrawals, cancels and completions: no volunteer holds more
    matches in a month than their capacity (one without an offer), no request
    more helpers than it wants, and answers waiting always fit the room left."""
    volunteers, requests_ = _world(make_user, make_volunteer, make_request)
    for act, who, which in steps:
        volunteer, request = reload(volunteers[who]), reload(requests_[which])
        try:
            _act(act, volunteer, request)
            db.session.commit()
        except KindredError:
            db.session.rollback()
        _check_invariants(volunteers, requests_)


def test_a_month_ago_does_not_count(app, make_user, make_request):
    """The one-off room of a member without an offer is this month's only."""
    ann, xan = make_user(), make_user()
    match = accept(ann, answer(xan, make_request(ann)))
    match.created_at = utcnow().replace(day=1) - timedelta(days=2)
    db.session.commit()
    assert fair_limits.room_of(xan.id).free == 1
