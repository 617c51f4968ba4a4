"""Reliability, measured and kind (community/helping/reliability.py): the
figures from the rows, their refresh, the words shown to others (positive
only), the member's own figures, and the rank: a volunteer who replies and
follows through ranks above an otherwise equal one who goes silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community import blocking
from community.chat import service as chat
from community.chat.models import ConversationMember
from community.db import db, utcnow
from community.helping import answers, honest, matches, matching, rank, reliability
from community.helping.models import Answer, Match, VolunteerOffer
from community.kindness import service as kindness
from tests.builders import accept, answer, pin_activity, reload

THANKS = "Thank you so much: your notes on the middle chapters changed the book."


@pytest.fixture
def ann(make_user):
    return make_user(display_name="Ann Asker", profile__about="")


def offer_of(user) -> VolunteerOffer:
    db.session.expire_all()
    return db.session.get(VolunteerOffer, user.id)


def say_hello(helper, match) -> None:
    chat.send(helper, chat.conversation_id_of_match(match.id), f"hello-{match.id}", "Hello!")
    db.session.commit()


def invited(ann, make_request, volunteer, number: int) -> Answer:
    request = make_request(ann, title=f"Beta readers for my novel, part {number}")
    made = answers.invite_volunteer(ann, request, volunteer)
    db.session.commit()
    return made


def replies_and_completes(ann, make_request, volunteer, times: int = 3) -> None:
    """Accepts each invitation, writes soon, and the help ends with thanks."""
    for number in range(times):
        match = matches.accept_invitation(volunteer, invited(ann, make_request, volunteer, number))
        db.session.commit()
        say_hello(volunteer, match)
        kindness.complete_match(ann, reload(match), THANKS)
        db.session.commit()


def goes_silent(ann, make_user, make_request, volunteer, times: int = 3) -> None:
    """Lets each invitation expire; matched from an offer, never writes, and
    the requester ends the match after a few quiet days."""
    for number in range(times):
        honest.expire(invited(ann, make_request, volunteer, 10 + number), utcnow())
        db.session.commit()
    for number in range(2):
        asker = make_user()
        match = accept(asker, answer(volunteer, make_request(asker, title=f"Quiet one {number}")))
        match.created_at = utcnow() - timedelta(days=4)
        db.session.commit()
        matches.cancel_match(asker, reload(match), "No word in four days; I have to move on.")
        db.session.commit()


def test_the_figures_come_from_the_rows_and_refresh_with_the_facts(
    app, ann, make_user, make_volunteer, make_request
):
    vic = make_volunteer("Vic", "beta-reading", capacity=10)
    replies_and_completes(ann, make_request, vic, times=3)
    figures = reliability.stored(offer_of(vic))
    assert figures.invitations_replied == 3 and figures.invitations_missed == 0
    assert figures.first_messages == 3 and figures.first_messages_missed == 0
    assert figures.first_message_hours is not None and figures.first_message_hours < 1
    assert figures.helps_thanked == 3 and figures.helps_not_thanked == 0
    assert offer_of(vic).reliability_at is not None

    wes = make_volunteer("Wes", "beta-reading", capacity=10)
    goes_silent(ann, make_user, make_request, wes)
    figures = reliability.stored(offer_of(wes))
    assert (figures.invitations_replied, figures.invitations_missed) == (0, 3)
    assert (figures.first_messages, figures.first_messages_missed) == (0, 2)
    assert figures.first_message_hours is None
    assert (figures.helps_thanked, figures.helps_not_thanked) == (0, 2)
    # Measured again from scratch, the stored figures are the same.
    assert reliability.measure([wes.id], utcnow())[wes.id] == figures


def test_a_not_this_time_is_a_reply_and_a_block_is_nobodys_failure(
    app, ann, make_user, make_volunteer, make_request
):
    vic = make_volunteer("Vic", "beta-reading", capacity=10)
    answers.decline_invitation(vic, invited(ann, make_request, vic, 1), "Not this month.")
    db.session.commit()
    assert reliability.stored(offer_of(vic)).invitations_replied == 1

    bea = make_user()
    match = accept(bea, answer(vic, make_request(bea, title="A novel of Bea's")))
    blocking.block(bea, reload(vic))
    db.session.commit()
    assert reload(match).status == "cancelled"
    rank.rerank_all()
    assert reliability.stored(offer_of(vic)).helps_not_thanked == 0


def test_old_events_leave_the_window(app, ann, make_volunteer, make_request):
    vic = make_volunteer("Vic", "beta-reading", capacity=10)
    replies_and_completes(ann, make_request, vic, times=1)
    months = app.config["RELIABILITY_MONTHS"]
    long_ago = utcnow() - timedelta(days=30 * months + 5)
    db.session.execute(update(Answer).values(created_at=long_ago))
    db.session.execute(update(Match).values(created_at=long_ago))
    db.session.commit()
    rank.rerank_all()
    assert reliability.stored(offer_of(vic)) == reliability.Figures()


def test_own_figures_say_everything_and_what_would_improve_it(
    app, ann, make_user, make_volunteer, make_request
):
    wes = make_volunteer("Wes", "beta-reading", capacity=10)
    goes_silent(ann, make_user, make_request, wes)
    shown = {
        figure.title: figure
        for figure in reliability.own_figures(reliability.stored(offer_of(wes)))
    }
    replies = shown["Replies to invitations"]
    assert "You replied to 0 of 3 invitations" in replies.figure
    assert "3 ended by themselves without a reply" in replies.figure
    assert "“not this time” counts as a reply" in replies.improve
    first = shown["First message after a match"]
    assert "in 2 you had not written 3 days after the match" in first.figure
    assert "Say hello" in first.improve
    helps = shown["Helps that ended with thanks"]
    assert "0 of 2 helps ended with thanks; 2 ended cancelled." in helps.figure
    assert helps.improve
    # Nothing kind to say about Wes to others yet, and nothing unkind either.
    assert reliability.kind_words(offer_of(wes)) == []

    vic = make_volunteer("Vic", "beta-reading", capacity=10)
    replies_and_completes(ann, make_request, vic, times=3)
    mine = reliability.own_figures(reliability.stored(offer_of(vic)))
    assert [figure.improve for figure in mine] == [None, None, None]  # nothing to improve
    assert reliability.kind_words(offer_of(vic)) == [
        "replied to all 3 invitations",
        "usually writes within a day of being matched",
        "3 of 3 helps ended with thanks",
    ]


def test_a_volunteer_who_replies_and_completes_ranks_above_one_who_goes_silent(
    app, ann, make_user, make_volunteer, make_request
):
    """Two volunteers equal in all but what they did. The silent one is made
    first (the lower id wins a tie), so only the measured signal can put the
    reliable one above."""
    silent = make_volunteer("Sam Silent", "beta-reading", capacity=10)
    steady = make_volunteer("Rae Reliable", "beta-reading", capacity=10)
    goes_silent(ann, make_user, make_request, silent)
    replies_and_completes(ann, make_request, steady)
    # The history is from last month: this month's capacity and the
    # fairness window (30 days) are the same for both.
    earlier = timedelta(days=40)
    for row in db.session.scalars(select(Answer)):
        row.created_at -= earlier
    for row in db.session.scalars(select(Match)):
        row.created_at -= earlier
        row.ended_at = row.ended_at and row.ended_at - earlier
    for row in db.session.scalars(select(ConversationMember)):
        row.first_wrote_at = row.first_wrote_at and row.first_wrote_at - earlier
    db.session.execute(update(VolunteerOffer).values(capacity_used=0))
    db.session.commit()
    rank.rerank_all()
    pin_activity(offer_of(silent), offer_of(steady))

    request = make_request(ann, title="A fresh novel to read")
    found = {s.volunteer.display_name: s for s in matching.suggest_volunteers(reload(request))}
    steady_s, silent_s = found["Rae Reliable"], found["Sam Silent"]
    measured = {"replies", "first_message", "follow_through"}
    assert {n: steady_s.signals[n] for n in set(rank.WEIGHTS) - measured} == pytest.approx(
        {n: silent_s.signals[n] for n in set(rank.WEIGHTS) - measured}
    )
    for name in measured:
        assert steady_s.signals[name] > 0.5 > silent_s.signals[name], name
    assert [s.volunteer.display_name for s in matching.suggest_volunteers(reload(request))][:2] == [
        "Rae Reliable",
        "Sam Silent",
    ]
    # The reasons say why, kindly; the silent one is simply not praised.
    assert "replied to all 3 invitations" in steady_s.reasons
    assert "3 of 3 helps ended with thanks" in steady_s.reasons
    assert not any("invitation" in r or "thanks" in r for r in silent_s.reasons)
