"""Answers through HTTP: "I can help", the thread, accept, decline, invite, withdraw."""

from __future__ import annotations

import pytest

from community.db import db
from community.helping import answers
from community.helping.models import Answer, AnswerStatus, HelpRequest, Match, RequestStatus
from community.notifications.models import Notification
from tests import builders
from tests.conftest import Auth


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def bob(make_user, make_offer):
    bob = make_user(email="bob@example.com", display_name="Bob Helper")
    make_offer(bob, "beta-reading", genres=["fantasy"], note="I love lighthouse stories")
    return bob


def notifications(user, kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            db.select(Notification).where(
                Notification.user_id == user.id, Notification.kind == kind
            )
        )
    )


def the_answer() -> Answer:
    db.session.expire_all()
    return db.session.scalars(db.select(Answer)).one()


def test_post_answer_comment_accept_and_meet_on_the_match_page(
    app, ann, bob, make_request, mailbox
):
    help_request = make_request(ann)
    path = f"/requests/{help_request.id}"
    asker, helper = signed_in(app, "ann@example.com"), signed_in(app, "bob@example.com")

    page = helper.get(path).get_data(as_text=True)
    assert "Can you help?" in page and "Who is asking" in page and "Ann Asker" in page
    response = helper.post(f"{path}/answer", data={"note": "I'd be glad to read it!"})
    assert response.headers["Location"] == path
    answer = the_answer()
    assert answer.note == "I'd be glad to read it!" and answer.status == AnswerStatus.PENDING
    assert notifications(ann, "answer_received")
    page = helper.get(path).get_data(as_text=True)
    assert "Your offer" in page and "Withdraw my offer" in page and "Can you help?" not in page

    # The requester sees the offer with Bob's summary, asks a question; Bob replies.
    page = asker.get(path).get_data(as_text=True)
    assert "Bob Helper" in page and "I&#39;d be glad to read it!" in page
    assert "Accept Bob&#39;s offer" in page and "Decline kindly" in page
    response = asker.post(f"/answers/{answer.id}/comments", data={"body": "Do you read epics?"})
    assert response.headers["Location"] == path
    helper.post(f"/answers/{answer.id}/comments", data={"body": "All the time."})
    page = asker.get(path).get_data(as_text=True)
    assert "Do you read epics?" in page and "All the time." in page
    assert notifications(bob, "answer_comment") and notifications(ann, "answer_comment")

    response = asker.post(f"/answers/{answer.id}/accept")
    match = db.session.scalars(db.select(Match)).one()
    assert response.headers["Location"] == f"/matches/{match.id}"
    db.session.expire_all()
    assert db.session.get(HelpRequest, help_request.id).status == RequestStatus.MATCHED
    intro = [m for m in mailbox.messages() if m["Subject"].startswith("Meet")]
    assert sorted(m["To"] for m in intro) == ["ann@example.com", "bob@example.com"]

    for client, other in ((asker, "Bob Helper"), (helper, "Ann Asker")):
        page = client.get(f"/matches/{match.id}").get_data(as_text=True)
        assert f"Your match with {other}" in page
        assert "Active" in page and "Chat with" in page and "A first message" in page
    assert "Open the match page" in asker.get(path).get_data(as_text=True)
    assert f"/matches/{match.id}" in helper.get(path).get_data(as_text=True)

    # Once matched, the offer can be neither accepted again nor withdrawn.
    response = asker.post(f"/answers/{answer.id}/accept", follow_redirects=True)
    assert "already been answered" in response.get_data(as_text=True)
    response = helper.post(f"/answers/{answer.id}/withdraw", follow_redirects=True)
    assert "Only an offer still waiting" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("note", "message"),
    [("", "Write a few words."), ("   ", "Write a few words."), ("x" * 1001, "at most 1,000")],
)
def test_a_bad_note_is_refused_beside_the_field(app, ann, bob, make_request, note, message):
    help_request = make_request(ann)
    response = signed_in(app, "bob@example.com").post(
        f"/requests/{help_request.id}/answer", data={"note": note}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    if note.strip():
        assert note in page  # the member's text is kept
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 0


def test_answering_twice_or_your_own_request_is_refused_kindly(app, ann, bob, make_request):
    help_request = make_request(ann)
    path = f"/requests/{help_request.id}"
    helper = signed_in(app, "bob@example.com")
    helper.post(f"{path}/answer", data={"note": "Happy to help."})
    response = helper.post(f"{path}/answer", data={"note": "Me again."}, follow_redirects=True)
    assert "already answered" in response.get_data(as_text=True)
    response = signed_in(app, "ann@example.com").post(
        f"{path}/answer", data={"note": "I can help myself"}, follow_redirects=True
    )
    assert "This is your own request." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 1


def test_unverified_members_see_the_request_and_are_asked_to_confirm(
    app, ann, make_user, make_request
):
    make_user(email="una@example.com", unverified=True)
    help_request = make_request(ann)
    client = signed_in(app, "una@example.com")
    page = client.get(f"/requests/{help_request.id}").get_data(as_text=True)
    assert "then you can offer to help" in page and "I can help</button>" not in page
    response = client.post(
        f"/requests/{help_request.id}/answer", data={"note": "Hi!"}, follow_redirects=True
    )
    assert "Please confirm your email address first" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 0


def test_an_empty_comment_is_refused_and_others_cannot_comment(
    app, ann, bob, make_user, make_request
):
    make_user(email="cat@example.com")
    help_request = make_request(ann)
    answer = builders.answer(bob, help_request, "Glad to help")
    response = signed_in(app, "ann@example.com").post(
        f"/answers/{answer.id}/comments", data={"body": "  "}
    )
    assert response.status_code == 400
    assert "Write a few words." in response.get_data(as_text=True)
    stranger = signed_in(app, "cat@example.com")
    assert stranger.post(f"/answers/{answer.id}/comments", data={"body": "Hi"}).status_code == 404
    assert stranger.post(f"/answers/{answer.id}/accept").status_code == 404
    assert stranger.post(f"/answers/{answer.id}/decline").status_code == 404
    assert stranger.post(f"/answers/{answer.id}/withdraw").status_code == 404
    assert stranger.post("/answers/999/accept").status_code == 404


def test_decline_with_a_reason_notifies_the_volunteer(app, ann, bob, make_request):
    help_request = make_request(ann)
    answer = builders.answer(bob, help_request, "Glad to help")
    asker = signed_in(app, "ann@example.com")

    response = asker.post(f"/answers/{answer.id}/decline", data={"reason": "x" * 501})
    assert response.status_code == 400
    assert "at most 500" in response.get_data(as_text=True)
    assert the_answer().status == AnswerStatus.PENDING

    response = asker.post(
        f"/answers/{answer.id}/decline", data={"reason": "Thank you, a friend offered."}
    )
    assert response.headers["Location"] == f"/requests/{help_request.id}"
    answer = the_answer()
    assert answer.status == AnswerStatus.DECLINED
    assert answer.decline_reason == "Thank you, a friend offered."
    (notification,) = notifications(bob, "answer_declined")
    assert notification.data["reason"] == "Thank you, a friend offered."
    page = signed_in(app, "bob@example.com").get(f"/requests/{help_request.id}")
    assert "Thank you, a friend offered." in page.get_data(as_text=True)


def test_the_volunteer_cannot_decline_their_own_offer(app, ann, bob, make_request):
    help_request = make_request(ann)
    answer = builders.answer(bob, help_request, "Glad to help")
    helper = signed_in(app, "bob@example.com")
    assert helper.post(f"/answers/{answer.id}/decline").status_code == 404
    assert helper.post(f"/answers/{answer.id}/accept").status_code == 404
    response = helper.post(f"/answers/{answer.id}/withdraw")
    assert response.status_code == 302
    assert the_answer().status == AnswerStatus.WITHDRAWN
    # A withdrawn offer may be renewed.
    page = helper.get(f"/requests/{help_request.id}").get_data(as_text=True)
    assert "Can you help?" in page


def test_invite_a_suggested_volunteer_who_accepts(app, ann, bob, make_request, mailbox):
    help_request = make_request(ann)
    asker = signed_in(app, "ann@example.com")
    page = asker.get(f"/requests/{help_request.id}").get_data(as_text=True)
    assert "Suggested volunteers" in page and "Invite Bob" in page
    assert "beta reading and fantasy in common" in page

    response = asker.post(f"/requests/{help_request.id}/invite/{bob.id}", follow_redirects=True)
    assert "We have invited Bob Helper" in response.get_data(as_text=True)
    invitation = the_answer()
    assert invitation.kind == "invitation"
    assert notifications(bob, "invitation_received")
    response = asker.post(f"/requests/{help_request.id}/invite/{bob.id}", follow_redirects=True)
    assert "already answered or been invited" in response.get_data(as_text=True)
    assert asker.post(f"/requests/{help_request.id}/invite/999").status_code == 404

    helper = signed_in(app, "bob@example.com")
    page = helper.get(f"/requests/{help_request.id}").get_data(as_text=True)
    assert "Your invitation" in page and "Accept the invitation" in page
    assert "Ann Asker invited you" in helper.get("/requests/mine").get_data(as_text=True)
    response = helper.post(f"/answers/{invitation.id}/accept")
    match = db.session.scalars(db.select(Match)).one()
    assert response.headers["Location"] == f"/matches/{match.id}"
    assert match.helper_id == bob.id and match.requester_id == ann.id
    assert len([m for m in mailbox.messages() if m["Subject"].startswith("Meet")]) == 2


def test_an_invited_volunteer_declines_and_the_requester_hears(app, ann, bob, make_request):
    help_request = make_request(ann)
    invitation = answers.invite_volunteer(ann, help_request, bob)
    db.session.commit()
    asker = signed_in(app, "ann@example.com")
    # Only the invited volunteer answers an invitation.
    assert asker.post(f"/answers/{invitation.id}/accept").status_code == 404
    response = signed_in(app, "bob@example.com").post(
        f"/answers/{invitation.id}/decline", data={"reason": "Swamped this month, sorry!"}
    )
    assert response.status_code == 302
    assert the_answer().status == AnswerStatus.DECLINED
    (notification,) = notifications(ann, "invitation_declined")
    assert notification.data["reason"] == "Swamped this month, sorry!"
    page = asker.get(f"/requests/{help_request.id}").get_data(as_text=True)
    assert "Invitation declined" in page and "Swamped this month" in page


def test_only_the_requester_invites(app, ann, bob, make_user, make_request):
    make_user(email="cat@example.com")
    help_request = make_request(ann)
    response = signed_in(app, "cat@example.com").post(
        f"/requests/{help_request.id}/invite/{bob.id}", follow_redirects=True
    )
    assert "Only the member who asked can invite" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 0


def test_no_place_left_rolls_back_and_says_so(app, ann, bob, make_user, make_offer, make_request):
    cat = make_user(email="cat@example.com")
    make_offer(cat, "beta-reading")
    help_request = make_request(ann, helpers=1)
    first = builders.answer(bob, help_request, "Me please")
    second = builders.answer(cat, help_request, "Or me")
    asker = signed_in(app, "ann@example.com")
    asker.post(f"/answers/{first.id}/accept")
    response = asker.post(f"/answers/{second.id}/accept", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Every helper place of this request is already taken." in page
    assert db.session.scalar(db.select(db.func.count(Match.id))) == 1
    db.session.expire_all()
    # The first match filled the only place: Cat's offer was closed kindly then.
    closed = db.session.get(Answer, second.id)
    assert closed.status == AnswerStatus.DECLINED and closed.filled_at is not None


def test_a_volunteer_at_capacity_cannot_be_matched(app, ann, make_user, make_offer, make_request):
    dee = make_user(email="dee@example.com")
    make_offer(dee, "beta-reading", capacity=2)
    first = make_request(ann, title="The first of two requests", helpers=1)
    second = make_request(ann, title="The second of two requests", helpers=1)
    answer_one = builders.answer(dee, first, "Yes")
    answer_two = builders.answer(dee, second, "Yes again")
    # Dee takes fewer a month after answering both: only one can be accepted.
    make_offer(dee, "beta-reading", capacity=1)
    asker = signed_in(app, "ann@example.com")
    asker.post(f"/answers/{answer_one.id}/accept")
    response = asker.post(f"/answers/{answer_two.id}/accept", follow_redirects=True)
    assert "no room left this month" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, second.id).places_taken == 0
