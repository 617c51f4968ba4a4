"""Answers ("I can help"), questions on them, declines, withdrawals and invitations."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from community.db import db, utcnow
from community.helping import answers, matches, offers, requests
from community.helping.errors import HelpingError, NotAllowed, NotFound
from community.helping.models import (
    Answer,
    AnswerComment,
    AnswerKind,
    AnswerStatus,
    MatchStatus,
    RequestStatus,
    VolunteerOffer,
)
from community.notifications import service
from community.notifications.kinds import IMMEDIATE
from tests.helping.conftest import accept, answer, notifications_of, reload


def answer_count() -> int:
    return db.session.scalar(select(func.count(Answer.id)))


# --- answering ----------------------------------------------------------------------


def test_a_volunteer_answers_and_the_requester_hears_of_it(
    app, make_user, make_volunteer, make_request, mailbox
):
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    request.last_activity_at = utcnow() - timedelta(days=10)
    request.created_at = utcnow() - timedelta(hours=12)
    db.session.commit()

    made = answer(vic, reload(request), "  I read a lot of fantasy and would love to.\r\n ")
    made = reload(made)
    assert made.status == AnswerStatus.PENDING and made.kind == AnswerKind.OFFER
    assert made.note == "I read a lot of fantasy and would love to."
    assert made.volunteer_id == vic.id and made.request_id == request.id
    assert utcnow() - reload(request).last_activity_at < timedelta(minutes=1)  # activity
    assert requests.is_participant(vic, reload(request))

    [notice] = notifications_of(ann, "answer_received")
    assert notice.data == {
        "request_id": request.id,
        "title": "Pacing notes on my lighthouse novel",
        "name": "Vic Volunteer",
        "user_id": vic.id,  # which volunteer: a repeat of their offer is not news again
    }
    [message] = mailbox.to("ann@example.com")
    assert "Vic Volunteer offered to help" in mailbox.text(message)

    # The answer's speed feeds the matching engine.
    vic_offer = db.session.get(VolunteerOffer, vic.id)
    assert vic_offer.answers_given == 1
    assert vic_offer.avg_response_hours == pytest.approx(12, abs=0.1)


def test_a_volunteer_answers_once(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann, helpers=2)
    answer(vic, request)
    with pytest.raises(HelpingError, match="already answered"):
        answers.answer_request(vic, reload(request), "Me again!")
    db.session.rollback()
    assert answer_count() == 1
    assert len(notifications_of(ann, "answer_received")) == 1


def test_a_withdrawn_answer_can_be_renewed(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    made = answer(vic, request, "First thoughts")
    answers.withdraw_answer(vic, made)
    db.session.commit()
    assert reload(made).status == AnswerStatus.WITHDRAWN
    with pytest.raises(NotAllowed):
        answers.withdraw_answer(vic, reload(made))  # only a pending offer
    db.session.rollback()

    renewed = answer(vic, reload(request), "Second thoughts: yes, I can help")
    assert renewed.id == made.id  # the same answer, renewed
    renewed = reload(renewed)
    assert renewed.status == AnswerStatus.PENDING and renewed.note.startswith("Second")
    assert renewed.responded_at is None
    assert answer_count() == 1
    accept(ann, renewed)


def test_a_declined_volunteer_cannot_answer_again(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    made = answer(vic, request)
    answers.decline_answer(ann, made)
    db.session.commit()
    with pytest.raises(HelpingError, match="already answered"):
        answers.answer_request(vic, reload(request), "Please reconsider")
    db.session.rollback()
    assert reload(made).status == AnswerStatus.DECLINED


def test_nobody_answers_their_own_request(app, make_user, make_offer, make_request):
    ann = make_user()
    make_offer(ann, "beta-reading")
    request = make_request(ann)
    with pytest.raises(NotAllowed, match="your own request"):
        answers.answer_request(ann, request, "I can help myself")
    db.session.rollback()
    assert answer_count() == 0


@pytest.mark.parametrize("status", ["matched", "completed", "closed", "expired"])
def test_only_open_requests_take_answers(app, make_user, make_volunteer, make_request, status):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    request.status = status
    db.session.commit()
    with pytest.raises(NotAllowed, match="not taking offers"):
        answers.answer_request(vic, reload(request), "I can help")
    db.session.rollback()
    assert answer_count() == 0


def test_only_verified_members_answer(app, make_user, make_request):
    ann = make_user()
    newcomer = make_user(unverified=True)
    request = make_request(ann)
    with pytest.raises(NotAllowed, match="confirm your email"):
        answers.answer_request(newcomer, request, "I can help")
    db.session.rollback()
    assert answer_count() == 0


@pytest.mark.parametrize("note", ["", "   ", None, "x" * 1001])
def test_an_answer_needs_a_short_note(app, make_user, make_volunteer, make_request, note):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    with pytest.raises(HelpingError) as caught:
        answers.answer_request(vic, request, note)
    assert caught.value.field == "note"
    db.session.rollback()
    assert answer_count() == 0


def test_a_block_hides_the_request_from_the_volunteer(
    app, make_user, make_volunteer, make_request, monkeypatch
):
    from community import blocks

    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    monkeypatch.setattr(blocks, "is_blocked_between", lambda a, b: {a, b} == {ann.id, vic.id})
    with pytest.raises(NotFound):
        answers.answer_request(vic, request, "I can help")
    db.session.rollback()


# --- questions on an answer ------------------------------------------------------------


def test_requester_and_volunteer_write_to_each_other(app, make_user, make_volunteer, make_request):
    ann = make_user(display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    stranger = make_user()
    request = make_request(ann)
    made = answer(vic, request)

    question = answers.comment_on_answer(ann, made, "  Have you read epic fantasy before?  ")
    db.session.commit()
    reply = answers.comment_on_answer(vic, reload(made), "Yes, lots: Le Guin, Hobb, Jemisin.")
    db.session.commit()
    assert [c.id for c in reload(made).comments] == [question.id, reply.id]
    assert reload(question).body == "Have you read epic fantasy before?"
    assert reload(question).author_id == ann.id

    [to_vic] = notifications_of(vic, "answer_comment")
    assert to_vic.data["name"] == "Ann Asker" and to_vic.data["request_id"] == request.id
    [to_ann] = notifications_of(ann, "answer_comment")
    assert to_ann.data["name"] == "Vic Volunteer"

    with pytest.raises(NotFound):
        answers.comment_on_answer(stranger, reload(made), "Can I join in?")
    db.session.rollback()
    assert db.session.scalar(select(func.count(AnswerComment.id))) == 2


@pytest.mark.parametrize("body", ["", "  \r\n ", "x" * 2001])
def test_a_comment_needs_words(app, make_user, make_volunteer, make_request, body):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    made = answer(vic, make_request(ann))
    with pytest.raises(HelpingError) as caught:
        answers.comment_on_answer(ann, made, body)
    assert caught.value.field == "body"
    db.session.rollback()


def test_an_unverified_member_cannot_comment(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    made = answer(vic, make_request(ann))
    vic.email_verified_at = None
    db.session.commit()
    with pytest.raises(NotAllowed):
        answers.comment_on_answer(vic, reload(made), "Hello?")
    db.session.rollback()


# --- declining ------------------------------------------------------------------------


def test_a_kind_decline_with_a_reason_notifies_the_volunteer(
    app, make_user, make_volunteer, make_request, mailbox
):
    ann = make_user(display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading", email="vic@example.com")
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    made = answer(vic, request)

    answers.decline_answer(ann, made, "  I found a reader who knows lighthouses.  ")
    db.session.commit()
    made = reload(made)
    assert made.status == AnswerStatus.DECLINED and made.responded_at is not None
    assert made.decline_reason == "I found a reader who knows lighthouses."
    [notice] = notifications_of(vic, "answer_declined")
    assert notice.data["reason"] == "I found a reader who knows lighthouses."
    assert notice.data["name"] == "Ann Asker"
    assert notice.data["title"] == "Pacing notes on my lighthouse novel"
    # A decline goes to the daily digest by default, not straight to the inbox.
    assert mailbox.to("vic@example.com") == []
    assert reload(request).status == RequestStatus.OPEN


def test_a_decline_emails_at_once_when_the_volunteer_asked(
    app, make_user, make_volunteer, make_request, mailbox
):
    ann = make_user(display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading", email="vic@example.com")
    service.set_preference(vic.id, "answer_declined", IMMEDIATE)
    db.session.commit()
    made = answer(vic, make_request(ann, title="Pacing notes on my lighthouse novel"))
    answers.decline_answer(ann, made)  # the reason is optional
    db.session.commit()
    assert reload(made).decline_reason == ""
    [message] = mailbox.to("vic@example.com")
    assert "Ann Asker thanked you" in mailbox.text(message)


def test_only_the_requester_declines_a_pending_offer(app, make_user, make_volunteer, make_request):
    ann, stranger = make_user(), make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    made = answer(vic, make_request(ann))
    for someone in (stranger, vic):
        with pytest.raises(NotFound):
            answers.decline_answer(someone, made, "No")
        db.session.rollback()
    with pytest.raises(HelpingError) as caught:
        answers.decline_answer(ann, reload(made), "x" * 501)
    assert caught.value.field == "reason"
    db.session.rollback()

    answers.decline_answer(ann, reload(made))
    db.session.commit()
    with pytest.raises(NotAllowed):
        answers.decline_answer(ann, reload(made))
    db.session.rollback()
    with pytest.raises(NotAllowed):
        matches.accept_answer(ann, reload(made))
    db.session.rollback()


def test_an_accepted_offer_cannot_be_declined_or_withdrawn(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    made = answer(vic, make_request(ann))
    accept(ann, made)
    with pytest.raises(NotAllowed):
        answers.decline_answer(ann, reload(made))
    with pytest.raises(NotAllowed):
        answers.withdraw_answer(vic, reload(made))
    with pytest.raises(NotFound):
        answers.withdraw_answer(ann, reload(made))  # not hers to withdraw
    db.session.rollback()


# --- invitations --------------------------------------------------------------------------


def test_the_requester_invites_an_available_volunteer(
    app, make_user, make_volunteer, make_request, mailbox
):
    ann = make_user(display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading", email="vic@example.com")
    request = make_request(ann, title="Pacing notes on my lighthouse novel")

    invitation = answers.invite_volunteer(ann, request, vic, "  Your profile says lighthouses! ")
    db.session.commit()
    invitation = reload(invitation)
    assert invitation.kind == AnswerKind.INVITATION and invitation.status == AnswerStatus.PENDING
    assert invitation.note == "Your profile says lighthouses!"
    assert requests.is_participant(vic, reload(request))
    [notice] = notifications_of(vic, "invitation_received")
    assert notice.data["name"] == "Ann Asker" and notice.data["request_id"] == request.id
    [message] = mailbox.to("vic@example.com")
    assert "Ann Asker invited you" in mailbox.text(message)

    with pytest.raises(HelpingError, match="already answered or been invited"):
        answers.invite_volunteer(ann, reload(request), vic)
    db.session.rollback()
    with pytest.raises(HelpingError, match="already answered"):
        answers.answer_request(vic, reload(request), "And I offer too")
    db.session.rollback()


def test_invitations_go_only_to_available_volunteers(app, make_user, make_volunteer, make_request):
    ann = make_user()
    resting = make_volunteer("Rae Resting", "beta-reading", on_break=True)
    full = make_volunteer("Fay Full", "beta-reading", capacity=1)
    no_offer = make_user()
    bea = make_user()
    accept(bea, answer(full, make_request(bea, title="Someone else's novel")))
    request = make_request(ann)
    for volunteer in (resting, full, no_offer):
        with pytest.raises(HelpingError, match="not taking requests"):
            answers.invite_volunteer(ann, reload(request), volunteer)
        db.session.rollback()
    assert answer_count() == 1  # only Fay's earlier answer


def test_invitation_rules(app, make_user, make_volunteer, make_request):
    ann, bea = make_user(), make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    with pytest.raises(NotAllowed, match="Only the member who asked"):
        answers.invite_volunteer(bea, request, vic)
    db.session.rollback()
    with pytest.raises(NotFound):
        answers.invite_volunteer(ann, reload(request), ann)
    db.session.rollback()
    unverified = make_user(unverified=True)
    own = make_request(ann, title="Ann's other novel")
    own.requester_id = unverified.id
    db.session.commit()
    with pytest.raises(NotAllowed, match="confirm your email"):
        answers.invite_volunteer(unverified, reload(own), vic)
    db.session.rollback()
    requests.close_request(ann, reload(request))
    db.session.commit()
    with pytest.raises(NotAllowed, match="not open"):
        answers.invite_volunteer(ann, reload(request), vic)
    db.session.rollback()
    assert answer_count() == 0


def test_the_invited_volunteer_accepts(app, make_user, make_volunteer, make_request):
    ann, stranger = make_user(), make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    invitation = answers.invite_volunteer(ann, request, vic)
    db.session.commit()

    for someone in (ann, stranger):
        with pytest.raises(NotFound):
            matches.accept_invitation(someone, reload(invitation))
        db.session.rollback()
    with pytest.raises(NotFound):  # an invitation is not the requester's to accept
        matches.accept_answer(ann, reload(invitation))
    db.session.rollback()

    match = matches.accept_invitation(vic, reload(invitation))
    db.session.commit()
    match = reload(match)
    assert (match.requester_id, match.helper_id) == (ann.id, vic.id)
    assert match.status == MatchStatus.ACTIVE
    assert reload(invitation).status == AnswerStatus.ACCEPTED
    assert reload(request).status == RequestStatus.MATCHED
    assert db.session.get(VolunteerOffer, vic.id).capacity_used == 1
    with pytest.raises(NotAllowed):
        matches.accept_invitation(vic, reload(invitation))
    db.session.rollback()


def test_an_invited_volunteer_who_went_on_a_break_cannot_be_matched(
    app, make_user, make_volunteer, make_request
):
    from community.helping.errors import AtCapacity

    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    invitation = answers.invite_volunteer(ann, request, vic)
    db.session.commit()
    offers.set_break(vic, True)
    db.session.commit()
    with pytest.raises(AtCapacity):
        matches.accept_invitation(vic, reload(invitation))
    db.session.rollback()
    assert reload(request).places_taken == 0


def test_the_invited_volunteer_declines(app, make_user, make_volunteer, make_request):
    ann = make_user(display_name="Ann Asker")
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    invitation = answers.invite_volunteer(ann, request, vic)
    db.session.commit()

    with pytest.raises(NotFound):
        answers.decline_invitation(ann, reload(invitation))  # the volunteer's to decline
    with pytest.raises(NotFound):
        answers.decline_answer(ann, reload(invitation))  # not an offer
    with pytest.raises(NotFound):
        answers.withdraw_answer(ann, reload(invitation))
    with pytest.raises(NotAllowed):
        answers.withdraw_answer(vic, reload(invitation))  # an invitation is declined, not withdrawn
    db.session.rollback()

    answers.decline_invitation(vic, reload(invitation), "My month is full, sorry!")
    db.session.commit()
    invitation = reload(invitation)
    assert invitation.status == AnswerStatus.DECLINED
    assert invitation.decline_reason == "My month is full, sorry!"
    [notice] = notifications_of(ann, "invitation_declined")
    assert notice.data["reason"] == "My month is full, sorry!"
    assert notice.data["name"] == "Vic Volunteer"
    with pytest.raises(NotAllowed):
        answers.decline_invitation(vic, invitation)
    with pytest.raises(NotAllowed):
        matches.accept_invitation(vic, invitation)
    db.session.rollback()
    assert reload(request).status == RequestStatus.OPEN


# --- who sees an answer ---------------------------------------------------------------


def test_an_answer_is_seen_by_its_two_members_only(app, make_user, make_volunteer, make_request):
    ann, stranger = make_user(), make_user()
    admin = make_user(is_admin=True)
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    request = make_request(ann, helpers=2)
    made = answer(vic, request)
    answer(wes, reload(request))  # another volunteer on the same request

    assert answers.access_answer(ann, made.id).id == made.id
    assert answers.access_answer(vic, made.id).id == made.id
    for outsider in (stranger, wes, admin, AnonymousUserMixin(), None):
        with pytest.raises(NotFound) as refused:
            answers.access_answer(outsider, made.id)
        with pytest.raises(NotFound) as missing:
            answers.access_answer(outsider, made.id + 1000)
        assert str(refused.value) == str(missing.value)


# --- double clicks ------------------------------------------------------------------------


def twice_at_once(app, attempt) -> list:
    """Run ``attempt()`` in two threads at the same moment, each in its own app
    context and session; each commits, or rolls back and returns its error."""
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def worker(index):
        with app.app_context():
            try:
                outcomes[index] = attempt(barrier)
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_a_double_click_on_i_can_help_makes_one_answer(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request_id, vic_id = make_request(ann).id, vic.id

    def attempt(barrier):
        volunteer = db.session.get(type(vic), vic_id)
        request = requests.access_request(volunteer, request_id)
        barrier.wait(timeout=30)
        return answers.answer_request(volunteer, request, "I can help!").id

    outcomes = twice_at_once(app, attempt)
    made = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(made) == 1 and answer_count() == 1, outcomes
    assert all(isinstance(error, HelpingError) for error in refused), refused
    assert len(notifications_of(ann, "answer_received")) == 1


def test_a_double_click_on_invite_makes_one_invitation(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request_id, ann_id, vic_id = make_request(ann).id, ann.id, vic.id

    def attempt(barrier):
        requester = db.session.get(type(ann), ann_id)
        volunteer = db.session.get(type(vic), vic_id)
        request = requests.access_request(requester, request_id)
        barrier.wait(timeout=30)
        return answers.invite_volunteer(requester, request, volunteer).id

    outcomes = twice_at_once(app, attempt)
    made = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(made) == 1 and answer_count() == 1, outcomes
    assert all(isinstance(error, HelpingError) for error in refused), refused
    assert len(notifications_of(vic, "invitation_received")) == 1


def test_a_rolled_back_answer_or_invitation_leaves_nothing(
    app, make_user, make_volunteer, make_request, mailbox
):
    """Nothing is committed behind the caller's back (on SQLite, a savepoint opened
    before the transaction's first write would commit when released)."""
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    request = make_request(ann)
    answers.answer_request(vic, request, "I can help")
    db.session.rollback()
    answers.invite_volunteer(ann, reload(request), wes)
    db.session.rollback()
    assert answer_count() == 0
    assert notifications_of(ann) == [] and notifications_of(wes) == []
    assert mailbox.messages() == []
