"""Honest answers, fast: an invitation or an offer with no reply expires by
itself (once, not before its time, not once someone acted), with a kind note
to the other side through the notification preferences; and the invited
volunteer's "not this time", with or without a dated break.

The clock is the job's ``now``: time moves by running it later, as the
scheduler would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community import jobs
from community.db import db, utcnow
from community.helping import answers, honest, matches
from community.helping.models import AnswerStatus, HelpRequest, VolunteerOffer
from community.notifications import service as notifications
from community.notifications.kinds import DAILY, IMMEDIATE, OFF
from tests.builders import accept, answer, notifications_of, reload
from tests.conftest import Auth

MINUTE = timedelta(minutes=1)


def days(app, name: str) -> timedelta:
    return timedelta(days=app.config[name])


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def ben(make_user, make_offer):
    ben = make_user(email="ben@example.com", display_name="Ben Busy")
    make_offer(ben, "beta-reading", capacity=3)
    return ben


@pytest.fixture
def cara(make_user, make_offer):
    cara = make_user(email="cara@example.com", display_name="Cara Kind")
    make_offer(cara, "beta-reading", capacity=3)
    return cara


def invite(requester, request, volunteer):
    made = answers.invite_volunteer(requester, request, volunteer, "Would you read it?")
    db.session.commit()
    return made


def expire_at(moment) -> int:
    return honest.expire_quiet_answers(now=moment)


def test_with_nobody_else_to_suggest_the_page_does_not_point_below(app, ann, ben, make_request):
    request = make_request(ann)
    due = reload(invite(ann, request, ben)).expires_at
    assert expire_at(due + MINUTE) == 1
    page = signed_in(app, "ann@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert "They could not take this on right now." in page
    assert "suggestions are below" not in page


def test_the_defaults_the_due_times_and_the_job(app, ann, ben, make_request):
    assert app.config["INVITATION_EXPIRY_DAYS"] == 4
    assert app.config["ANSWER_EXPIRY_DAYS"] == 5
    assert any(job.path.endswith("honest:expire_quiet_answers") for job in jobs.PERIODIC)
    invitation = reload(invite(ann, make_request(ann, title="First book"), ben))
    assert invitation.expires_at == invitation.created_at + timedelta(days=4)
    offer = reload(answer(ben, make_request(ann, title="Second book")))
    assert offer.expires_at == offer.created_at + timedelta(days=5)


def test_an_invitation_expires_once_with_a_kind_note_and_next_suggestions(
    app, ann, ben, cara, make_request, mailbox
):
    request = make_request(ann)
    invitation = invite(ann, request, ben)
    due = reload(invitation).expires_at

    assert expire_at(due - MINUTE) == 0  # not before its time
    assert reload(invitation).status == AnswerStatus.PENDING

    assert expire_at(due + MINUTE) == 1
    assert expire_at(due + MINUTE) == 0  # once, not twice
    assert expire_at(due + timedelta(days=30)) == 0

    invitation = reload(invitation)
    assert invitation.status == AnswerStatus.DECLINED
    assert invitation.expired_at is not None and invitation.expires_at is None
    (note,) = notifications_of(ann, "invitation_expired")
    text = notifications.render_message(note)
    assert "Ben Busy could not take on" in text
    assert "here are others who could help: Cara Kind" in text
    assert note.delivery == IMMEDIATE
    # The quiet side is told nothing: nobody is told off for not answering.
    assert notifications_of(ben, "invitation_expired") == []
    assert notifications_of(ben, "answer_expired") == []
    (email,) = [m for m in mailbox.to("ann@example.com") if "right now" in m["Subject"]]
    body = mailbox.text(email)
    assert "Cara Kind" in body and f"/members/{cara.id}" in body

    # The request page shows the next best suggestions at once, kindly.
    page = signed_in(app, "ann@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert "No reply in time" in page
    assert "Invite Cara" in page and "Invite Ben" not in page
    assert "your next best suggestions are below" in page
    page = signed_in(app, "ben@example.com").get(f"/requests/{request.id}").get_data(as_text=True)
    assert "No harm done" in page


def test_an_offer_expires_with_a_thank_you_to_the_volunteer(app, ann, ben, make_request, mailbox):
    request = make_request(ann)
    offer = answer(ben, request)
    due = reload(offer).expires_at
    assert due - reload(offer).created_at == days(app, "ANSWER_EXPIRY_DAYS")
    assert expire_at(due - MINUTE) == 0
    assert expire_at(due) == 1
    assert expire_at(due) == 0
    assert reload(offer).status == AnswerStatus.DECLINED
    (note,) = notifications_of(ben, "answer_expired")
    assert "Thank you for offering" in notifications.render_message(note)
    assert note.delivery == DAILY  # the default: in the daily digest
    assert notifications_of(ann, "invitation_expired") == []


def test_the_note_is_its_own_job_and_written_once(app, ann, ben, cara, make_request):
    """The periodic job only expires (a few indexed statements each); the note,
    which asks the matching engine for the next best volunteers, is a job of
    its own queued after the commit, and running it again writes nothing more."""
    invitation = invite(ann, make_request(ann), ben)
    offer = answer(cara, make_request(ann, title="Second book"))
    assert honest.send_expiry_note(invitation.id) is False  # not expired: nothing to say
    assert notifications_of(ann, "invitation_expired") == []

    assert expire_at(utcnow() + timedelta(days=6)) == 2
    assert len(notifications_of(ann, "invitation_expired")) == 1
    assert len(notifications_of(cara, "answer_expired")) == 1
    # A second run of either note (a retried job) is a repeat, not sent again.
    assert honest.send_expiry_note(invitation.id) is True
    assert honest.send_expiry_note(offer.id) is True
    assert len(notifications_of(ann, "invitation_expired")) == 1
    assert len(notifications_of(cara, "answer_expired")) == 1


@pytest.mark.parametrize("act", ["accept", "decline", "withdraw"])
def test_acting_before_expiry_stops_it(app, ann, ben, make_request, act):
    request = make_request(ann)
    if act == "withdraw":
        made = answer(ben, request)
        answers.withdraw_answer(ben, made)
    else:
        made = invite(ann, request, ben)
        if act == "accept":
            matches.accept_invitation(ben, made)
        else:
            answers.decline_invitation(ben, made, "Not this time, thank you!")
    db.session.commit()
    status = reload(made).status
    assert expire_at(utcnow() + timedelta(days=30)) == 0
    made = reload(made)
    assert made.status == status and made.expired_at is None and made.expires_at is None
    assert notifications_of(ann, "invitation_expired") == []
    assert notifications_of(ben, "answer_expired") == []


def test_a_due_time_left_on_an_answered_answer_is_cleared_without_a_word(
    app, ann, ben, make_request
):
    made = answer(ben, make_request(ann))
    accept(ann, made)
    reload(made).expires_at = utcnow()  # as if answered by a path that left it
    db.session.commit()
    assert expire_at(utcnow() + MINUTE) == 0
    assert reload(made).expires_at is None and reload(made).status == AnswerStatus.ACCEPTED


def test_expiry_restores_places_as_a_decline_does(app, ann, ben, cara, make_request):
    request = make_request(ann, helpers=2)
    accept(ann, answer(cara, request))
    invitation = invite(ann, request, ben)
    before = reload(db.session.get(VolunteerOffer, ben.id)).capacity_used
    assert expire_at(utcnow() + timedelta(days=5)) == 1
    request = reload(request)
    assert (request.places_taken, request.places_left, request.is_open) == (1, 1, True)
    assert reload(db.session.get(VolunteerOffer, ben.id)).capacity_used == before
    assert reload(invitation).status == AnswerStatus.DECLINED  # as a decline leaves it
    # The free place can still be filled, and Ben can still help elsewhere.
    other = invite(ann, make_request(ann, title="Another book"), ben)
    matches.accept_invitation(ben, other)
    db.session.commit()
    assert reload(db.session.get(VolunteerOffer, ben.id)).capacity_used == before + 1


def test_no_note_when_the_request_no_longer_takes_help(app, ann, ben, make_request):
    request = make_request(ann)
    invite(ann, request, ben)
    db.session.get(HelpRequest, request.id).status = "closed"
    db.session.commit()
    assert expire_at(utcnow() + timedelta(days=5)) == 1
    assert notifications_of(ann, "invitation_expired") == []


def test_the_note_follows_the_notification_preferences(app, ann, ben, make_request, mailbox):
    notifications.set_preference(ann.id, "invitation_expired", OFF)
    db.session.commit()
    invite(ann, make_request(ann), ben)
    assert expire_at(utcnow() + timedelta(days=5)) == 1
    (note,) = notifications_of(ann, "invitation_expired")
    assert note.delivery == OFF
    assert [m for m in mailbox.to("ann@example.com") if "right now" in m["Subject"]] == []


# --- "not this time" ------------------------------------------------------------------


def test_not_this_time_without_a_pause(app, ann, ben, make_request):
    request = make_request(ann)
    invitation = invite(ann, request, ben)
    page = signed_in(app, "ben@example.com")
    text = page.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Not this time" in text and "And pause me until" in text
    response = page.post(
        f"/answers/{invitation.id}/decline", data={"reason": "Thank you, a busy month."}
    )
    assert response.status_code == 302
    invitation = reload(invitation)
    assert invitation.status == AnswerStatus.DECLINED and invitation.expired_at is None
    assert invitation.expires_at is None
    (note,) = notifications_of(ann, "invitation_declined")
    assert "cannot help with" in notifications.render_message(note)
    offer = reload(db.session.get(VolunteerOffer, ben.id))
    assert (offer.on_break, offer.break_until) == (False, None)


def test_not_this_time_and_pause_me_until_a_day(app, ann, ben, make_request):
    request = make_request(ann)
    invitation = invite(ann, request, ben)
    page = signed_in(app, "ben@example.com")
    until = utcnow().date() + timedelta(days=10)
    response = page.post(
        f"/answers/{invitation.id}/decline", data={"pause_until": until.isoformat()}
    )
    assert response.status_code == 302
    assert reload(invitation).status == AnswerStatus.DECLINED
    offer = reload(db.session.get(VolunteerOffer, ben.id))
    assert (offer.on_break, offer.break_until) == (True, until)
    assert len(notifications_of(ann, "invitation_declined")) == 1


@pytest.mark.parametrize("typed", ["soon", "1999-01-01", "2999-01-01"])
def test_a_pause_day_that_will_not_do_keeps_the_invitation_waiting(
    app, ann, ben, make_request, typed
):
    request = make_request(ann)
    invitation = invite(ann, request, ben)
    page = signed_in(app, "ben@example.com")
    if typed == "1999-01-01":
        typed = utcnow().date().isoformat()  # today: a pause must end after it
    response = page.post(
        f"/answers/{invitation.id}/decline", data={"reason": "Kind word", "pause_until": typed}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Kind word" in text
    assert "Enter a date" in text or "tomorrow to a year ahead" in text
    assert reload(invitation).status == AnswerStatus.PENDING
    assert reload(db.session.get(VolunteerOffer, ben.id)).on_break is False
    assert notifications_of(ann, "invitation_declined") == []


def test_the_requester_declining_an_offer_has_no_pause(app, ann, ben, make_request):
    request = make_request(ann)
    made = answer(ben, request)
    page = signed_in(app, "ann@example.com")
    assert "And pause me until" not in page.get(f"/requests/{request.id}").get_data(as_text=True)
    until = (utcnow().date() + timedelta(days=3)).isoformat()
    response = page.post(f"/answers/{made.id}/decline", data={"pause_until": until})
    assert response.status_code == 302
    assert reload(made).status == AnswerStatus.DECLINED
    assert reload(db.session.get(VolunteerOffer, ben.id)).on_break is False


def test_the_job_runs_from_the_cli(app, ann, ben, make_request):
    invite(ann, make_request(ann), ben)
    result = app.test_cli_runner().invoke(args=["jobs", "expire-quiet-answers"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expire-quiet-answers: 0"  # not due yet
