"""Matches: accepting takes a helper place and a place of the volunteer's monthly
capacity; cancelling gives both back; capacity rules; no double-booking under races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select, update

from community.db import db, utcnow
from community.helping import answers, capacity, matches, matching, offers, requests
from community.helping.errors import (
    AtCapacity,
    HelpingError,
    NoPlaceLeft,
    NotAllowed,
    NotFound,
    TryAgain,
)
from community.helping.models import (
    Answer,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    OfferSkill,
    RequestStatus,
    VolunteerOffer,
)
from tests.builders import accept, answer, make_offer, notifications_of, reload


def suggested_ids(request) -> list[int]:
    return [s.volunteer.id for s in matching.suggest_volunteers(reload(request))]


def match_count(**where) -> int:
    statement = select(func.count(Match.id))
    for name, value in where.items():
        statement = statement.where(getattr(Match, name) == value)
    return db.session.scalar(statement)


# --- accepting ------------------------------------------------------------------------


def test_accepting_an_offer_makes_a_match(app, make_user, make_volunteer, make_request, make_offer):
    ann = make_user()
    make_offer(ann, "critique")  # the requester helps others too: her "received" count moves
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=3)
    request = make_request(ann)
    offer_made = answer(vic, request)

    match = accept(ann, offer_made)
    match = reload(match)
    assert (match.request_id, match.answer_id) == (request.id, offer_made.id)
    assert (match.requester_id, match.helper_id) == (ann.id, vic.id)
    assert match.status == MatchStatus.ACTIVE and match.participant_ids() == {ann.id, vic.id}
    assert reload(offer_made).status == AnswerStatus.ACCEPTED
    assert reload(offer_made).responded_at is not None

    request = reload(request)
    assert request.places_taken == 1 and request.status == RequestStatus.MATCHED

    vic_offer = db.session.get(VolunteerOffer, vic.id)
    assert vic_offer.capacity_month == offers.current_month()
    assert vic_offer.capacity_used == 1 and capacity.capacity_left(vic_offer) == 2
    assert (vic_offer.recent_matches, vic_offer.helped_count) == (1, 1)
    assert db.session.get(VolunteerOffer, ann.id).received_count == 1
    assert [m.id for m in matches.matches_of(vic.id)] == [match.id]
    assert [m.id for m in matches.matches_of(ann.id)] == [match.id]


def test_an_offer_is_accepted_once_and_only_by_its_requester(
    app, make_user, make_volunteer, make_request
):
    ann, stranger = make_user(), make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann, helpers=2)
    offer_made = answer(vic, request)

    for someone in (stranger, vic):
        with pytest.raises(NotFound):
            matches.accept_answer(someone, offer_made)
        db.session.rollback()
    accept(ann, reload(offer_made))
    with pytest.raises(NotAllowed, match="already been answered"):
        matches.accept_answer(ann, reload(offer_made))
    db.session.rollback()
    assert match_count() == 1
    assert reload(request).places_taken == 1


def test_an_unverified_requester_cannot_accept(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    offer_made = answer(vic, request)
    ann.email_verified_at = None
    db.session.commit()
    with pytest.raises(NotAllowed):
        matches.accept_answer(ann, offer_made)
    db.session.rollback()
    assert match_count() == 0


def test_an_offer_on_a_closed_request_cannot_be_accepted(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    offer_made = answer(vic, request)
    requests.close_request(ann, reload(request))
    db.session.commit()
    with pytest.raises(NoPlaceLeft):
        matches.accept_answer(ann, reload(offer_made))
    db.session.rollback()
    assert match_count() == 0
    assert db.session.get(VolunteerOffer, vic.id).capacity_used == 0


def test_access_to_a_match_is_for_its_two_members(app, make_user, make_volunteer, make_request):
    ann, stranger = make_user(), make_user()
    admin = make_user(is_admin=True)
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    match = accept(ann, answer(vic, make_request(ann)))
    assert matches.access_match(ann, match.id).id == match.id
    assert matches.access_match(vic, match.id).id == match.id
    for outsider in (stranger, admin, AnonymousUserMixin(), None):
        with pytest.raises(NotFound) as refused:
            matches.access_match(outsider, match.id)
        with pytest.raises(NotFound) as missing:
            matches.access_match(outsider, match.id + 1000)
        assert str(refused.value) == str(missing.value)


# --- cancelling -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["requester", "helper"])
def test_either_side_cancels_with_a_reason_and_frees_place_and_capacity(
    app, make_user, make_volunteer, make_request, who
):
    ann = make_user(display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=1)
    request = make_request(ann)
    match = accept(ann, answer(vic, request))
    assert capacity.capacity_left(db.session.get(VolunteerOffer, vic.id)) == 0

    canceller, other = (ann, vic) if who == "requester" else (vic, ann)
    matches.cancel_match(canceller, reload(match), "  Life got   in the way.  ")
    db.session.commit()

    match = reload(match)
    assert match.status == MatchStatus.CANCELLED and match.ended_at is not None
    assert match.cancel_reason == "Life got in the way." and match.cancelled_by_id == canceller.id
    request = reload(request)
    assert request.places_taken == 0 and request.status == RequestStatus.OPEN
    vic_offer = db.session.get(VolunteerOffer, vic.id)
    assert vic_offer.capacity_used == 0 and capacity.is_available(vic_offer)
    [notice] = notifications_of(other, "match_cancelled")
    assert notice.data["reason"] == "Life got in the way."
    assert notice.data["match_id"] == match.id
    assert notifications_of(canceller, "match_cancelled") == []

    # The place and the capacity can be taken again.
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    accept(ann, answer(wes, reload(request)))
    assert reload(request).status == RequestStatus.MATCHED

    with pytest.raises(NotAllowed, match="Only an active match"):
        matches.cancel_match(canceller, reload(match), "Again")
    db.session.rollback()


@pytest.mark.parametrize("reason", ["", "   \n  ", None, "x" * 501])
def test_cancelling_needs_a_reason(app, make_user, make_volunteer, make_request, reason):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    match = accept(ann, answer(vic, make_request(ann)))
    with pytest.raises(HelpingError) as caught:
        matches.cancel_match(ann, match, reason)
    assert caught.value.field == "reason"
    db.session.rollback()
    assert reload(match).status == MatchStatus.ACTIVE


def test_only_a_participant_cancels(app, make_user, make_volunteer, make_request):
    ann, stranger = make_user(), make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    match = accept(ann, answer(vic, make_request(ann)))
    with pytest.raises(NotFound):
        matches.cancel_match(stranger, match, "I do not belong here")
    db.session.rollback()
    assert reload(match).status == MatchStatus.ACTIVE


def test_a_cancel_does_not_undo_a_match_made_meanwhile(
    app, make_user, make_volunteer, make_request
):
    """The session cancelling read the request before another member's match was
    committed: freeing the place must count from the database, not from that read."""
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    request = make_request(ann, helpers=2)
    first = accept(ann, answer(vic, request))
    second_answer_id = answer(wes, reload(request)).id

    stale_match = reload(first)
    assert stale_match.request.places_taken == 1  # read now, before the other match

    def accept_elsewhere():
        with app.app_context():
            made = db.session.get(Answer, second_answer_id)
            matches.accept_answer(made.request.requester, made)
            db.session.commit()

    thread = threading.Thread(target=accept_elsewhere)
    thread.start()
    thread.join(30)
    assert match_count(status=MatchStatus.ACTIVE.value) == 2

    matches.cancel_match(vic, stale_match, "Sorry, I have to step back.")
    db.session.commit()
    request = reload(request)
    assert request.places_taken == 1  # Wes's match still holds its place
    assert request.status == RequestStatus.OPEN


# --- capacity ----------------------------------------------------------------------------


def test_a_volunteer_at_capacity_is_not_suggested_and_cannot_be_matched(
    app, make_user, make_volunteer, make_request
):
    ann, bea = make_user(), make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=2)
    first = make_request(ann)
    second = make_request(bea, title="Another novel to read")
    late_answer = answer(vic, second)  # answered while still free
    assert suggested_ids(first) == [vic.id]
    first_answer = answer(vic, first)
    # Vic takes fewer a month after answering: the two answers waiting no
    # longer both fit, and the match still cannot overdraw the month.
    make_offer(vic, capacity=1)

    accept(ann, first_answer)
    vic_offer = db.session.get(VolunteerOffer, vic.id)
    assert capacity.capacity_left(vic_offer) == 0 and not capacity.is_available(vic_offer)
    assert all(not link.available for link in vic_offer.skill_links)  # paused in the index

    third = make_request(make_user(), title="A third novel, please")
    assert suggested_ids(third) == []
    with pytest.raises(AtCapacity):
        matches.accept_answer(bea, reload(late_answer))
    db.session.rollback()
    second = reload(second)
    assert second.places_taken == 0 and second.status == RequestStatus.OPEN  # nothing half-made
    assert reload(late_answer).status == AnswerStatus.PENDING
    assert db.session.get(VolunteerOffer, vic.id).capacity_used == 1
    with pytest.raises(HelpingError, match="not taking requests"):
        answers.invite_volunteer(third.requester, third, vic)
    db.session.rollback()


def test_a_volunteer_on_a_break_is_not_suggested_and_cannot_be_matched(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    late_answer = answer(vic, request)
    offers.set_break(vic, True)
    db.session.commit()

    other_request = make_request(make_user(), title="Another fantasy novel")
    assert suggested_ids(other_request) == []
    with pytest.raises(AtCapacity, match="taking a break"):
        matches.accept_answer(ann, reload(late_answer))
    db.session.rollback()
    assert reload(request).places_taken == 0
    with pytest.raises(HelpingError, match="not taking requests"):
        answers.invite_volunteer(other_request.requester, reload(other_request), vic)
    db.session.rollback()

    offers.set_break(vic, False)
    db.session.commit()
    assert suggested_ids(other_request) == [vic.id]
    accept(ann, reload(late_answer))


def test_a_member_without_an_offer_helps_with_one_request_a_month(app, make_user, make_request):
    """No standing offer: a one-off room of one help a month (fair_limits),
    counted from their matches and answers waiting, like an offer's capacity."""
    ann, bea, cat = make_user(), make_user(), make_user()
    drifter = make_user()
    first = make_request(ann)
    second = make_request(bea, title="Another novel to read")
    offer_made = answer(drifter, first)
    with pytest.raises(HelpingError, match=r"one request a month.*1 answer waiting"):
        answers.answer_request(drifter, reload(second), "Me too!")
    db.session.rollback()

    match = accept(ann, offer_made)
    assert match.helper_id == drifter.id
    assert db.session.get(VolunteerOffer, drifter.id) is None  # no offer was made for them
    with pytest.raises(HelpingError, match=r"one request a month.*1 match this month"):
        answers.answer_request(drifter, reload(second), "Me too!")
    db.session.rollback()

    # A cancelled match gives the month's room back, as it gives capacity back.
    matches.cancel_match(ann, reload(match), "My plans changed, sorry.")
    db.session.commit()
    accept(bea, answer(drifter, reload(second)))
    # An answer that waited from before the limits (made here past them) still
    # cannot be accepted beyond the month's one room: the member row is
    # locked and the month's matches counted when a match is made.
    third = make_request(cat, title="A third novel, please")
    stray = Answer(request_id=third.id, volunteer_id=drifter.id, created_at=utcnow())
    db.session.add(stray)
    db.session.commit()
    with pytest.raises(AtCapacity, match="without a volunteer offer"):
        matches.accept_answer(cat, reload(stray))
    db.session.rollback()
    assert reload(third).places_taken == 0


def test_capacity_starts_again_when_the_month_turns(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=1)
    full = make_volunteer("Fay Full", "beta-reading", capacity=1)
    resting = make_volunteer("Rae Resting", "beta-reading", capacity=1, on_break=True)
    accept(ann, answer(vic, make_request(ann)))
    accept(ann, answer(full, make_request(ann, title="My second novel")))
    # Vic's match was last month; Fay's is this month's.
    db.session.execute(
        update(VolunteerOffer)
        .where(VolunteerOffer.user_id.in_([vic.id, resting.id]))
        .values(capacity_month="2000-01")
    )
    db.session.commit()
    request = make_request(make_user(), title="A new month, a new novel")
    assert suggested_ids(request) == []  # the index still says "full" until the roll-over

    assert offers.roll_over_month() == 2
    vic_offer = reload(db.session.get(VolunteerOffer, vic.id))
    assert vic_offer.capacity_month == offers.current_month() and vic_offer.capacity_used == 0
    assert suggested_ids(request) == [vic.id]
    # The roll-over gives back last month's places only: Fay used this month's,
    # and Rae is on a break.
    for member in (full, resting):
        links = db.session.scalars(select(OfferSkill).where(OfferSkill.user_id == member.id))
        assert [link.available for link in links] == [False]
    assert offers.roll_over_month() == 0

    accept(request.requester, answer(vic, reload(request)))
    assert db.session.get(VolunteerOffer, vic.id).capacity_used == 1


def test_a_match_taken_last_month_and_cancelled_now_leaves_this_month_alone(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=2)
    match = accept(ann, answer(vic, make_request(ann)))
    # The match was made last month; this month Vic has already taken one place.
    last_month = (utcnow().replace(day=1) - timedelta(days=1)).replace(day=15)
    match.created_at = last_month
    vic_offer = db.session.get(VolunteerOffer, vic.id)
    vic_offer.capacity_month = last_month.strftime("%Y-%m")
    db.session.commit()
    assert offers.roll_over_month() == 1
    assert offers.take_capacity(vic.id)
    db.session.commit()
    assert reload(vic_offer).capacity_used == 1

    matches.cancel_match(ann, reload(match), "We agreed to stop.")
    db.session.commit()
    assert db.session.get(VolunteerOffer, vic.id).capacity_used == 1


# --- no double-booking --------------------------------------------------------------------


def run_at_once(app, attempts):
    """Run each ``attempt(barrier)`` in its own thread, app context and session;
    each commits what it did, or rolls back and returns the error it met."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list = [None] * len(attempts)

    def worker(index, attempt):
        with app.app_context():
            try:
                outcomes[index] = attempt(barrier)
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                outcomes[index] = error

    threads = [
        threading.Thread(target=worker, args=(i, attempt)) for i, attempt in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def accepting(answer_id: int):
    def attempt(barrier):
        made = db.session.get(Answer, answer_id)
        requester = made.request.requester
        barrier.wait(timeout=30)
        return matches.accept_answer(requester, made).id

    return attempt


def losers_are(outcomes, expected, database: str) -> None:
    losers = [o for o in outcomes if not isinstance(o, int)]
    # SQLite serialises writers; a writer that finds the database locked too long
    # is told to try again, which is an honest answer too. PostgreSQL waits on
    # the row lock and then re-checks the condition: always the real reason.
    allowed = (expected,) if database == "postgresql" else (expected, TryAgain)
    assert all(isinstance(loser, allowed) for loser in losers), losers


@pytest.mark.parametrize("round_", range(3))
def test_accepts_racing_for_the_last_place_make_exactly_one_match(
    app, make_user, make_volunteer, make_request, round_
):
    ann = make_user()
    # Five: as many offers as one helper place holds waiting (PENDING_ANSWERS_PER_REQUEST).
    volunteers = [make_volunteer(f"Racer {i}", "beta-reading") for i in range(5)]
    request = make_request(ann)
    answer_ids = [answer(v, request).id for v in volunteers]
    db.session.commit()

    outcomes = run_at_once(app, [accepting(answer_id) for answer_id in answer_ids])

    winners = [o for o in outcomes if isinstance(o, int)]
    assert len(winners) == 1, outcomes
    losers_are(outcomes, NoPlaceLeft, db.engine.dialect.name)
    request = reload(request)
    assert request.places_taken == 1 and request.status == RequestStatus.MATCHED
    assert match_count(request_id=request.id) == 1
    used = db.session.scalars(select(VolunteerOffer.capacity_used)).all()
    assert sorted(used) == [0] * 4 + [1]  # only the winner's capacity was taken
    accepted = db.session.scalars(
        select(Answer.id).where(Answer.status == AnswerStatus.ACCEPTED)
    ).all()
    assert accepted == [db.session.get(Match, winners[0]).answer_id]


def test_accepts_racing_for_the_last_two_of_three_places(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    volunteers = [make_volunteer(f"Racer {i}", "beta-reading") for i in range(5)]
    request = make_request(ann, helpers=3)
    first, *rest = [answer(v, request).id for v in volunteers]
    accept(ann, db.session.get(Answer, first))

    outcomes = run_at_once(app, [accepting(answer_id) for answer_id in rest])

    winners = [o for o in outcomes if isinstance(o, int)]
    losers_are(outcomes, NoPlaceLeft, db.engine.dialect.name)
    request = reload(request)
    assert match_count(request_id=request.id) == request.places_taken == 1 + len(winners)
    if db.engine.dialect.name == "postgresql":
        assert len(winners) == 2 and request.status == RequestStatus.MATCHED
    else:
        assert 1 <= len(winners) <= 2


def test_two_requests_racing_for_a_volunteers_last_place(
    app, make_user, make_volunteer, make_request
):
    vic = make_volunteer("Vic Volunteer", "beta-reading", capacity=4)
    askers = [make_user() for _ in range(4)]
    request_ids, answer_ids = [], []
    for index, asker in enumerate(askers):
        request = make_request(asker, title=f"Novel number {index + 1}")
        request_ids.append(request.id)
        answer_ids.append(answer(vic, request).id)
    # Answers waiting count against the month, so they fit when made; Vic
    # then takes fewer a month, and the four acceptances race for one place.
    make_offer(vic, capacity=1)

    outcomes = run_at_once(app, [accepting(answer_id) for answer_id in answer_ids])

    winners = [o for o in outcomes if isinstance(o, int)]
    assert len(winners) == 1, outcomes
    losers_are(outcomes, AtCapacity, db.engine.dialect.name)
    db.session.expire_all()
    vic_offer = db.session.get(VolunteerOffer, vic.id)
    assert vic_offer.capacity_used == 1 and not capacity.is_available(vic_offer)
    assert match_count(helper_id=vic.id) == 1
    places = dict(
        db.session.execute(
            select(HelpRequest.id, HelpRequest.places_taken).where(HelpRequest.id.in_(request_ids))
        ).all()
    )
    won = db.session.get(Match, winners[0]).request_id
    assert places == {rid: int(rid == won) for rid in request_ids}  # losers rolled back whole
