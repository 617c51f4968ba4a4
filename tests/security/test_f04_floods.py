"""Finding 4: notification and email floods.

Limits count acts, not rows (community/limits.py); a repeat of a notification
about the same thing is dropped; nobody comments on an ended offer; a member
has at most MAX_OPEN_REQUESTS open requests. Each test does the attack and
counts notifications, emails or rows.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.db import db
from community.errors import RateLimited
from community.helping import answers, requests
from community.helping.models import AnswerComment, HelpRequest
from community.limits import acts_counted, record_act
from community.mail.models import OutboxEmail
from community.network import follows
from community.network.follows import FOLLOWS_PER_DAY, NetworkError
from community.notifications.models import Notification
from tests.accounts.helpers import login
from tests.chat.conftest import make_match
from tests.helping.conftest import skill_ids


def count(model, **where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def request_input(title="Beta readers for my novel"):
    return requests.RequestInput(
        title=title,
        details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
        skill_ids=skill_ids("beta-reading"),
        genre_id=None,
        format="written",
        effort="about 6 hours",
        deadline=None,
        helpers_wanted=2,
    )


def test_acts_are_counted_whatever_limit_is_asked(app):
    for _ in range(3):
        record_act(7, "follow", 5)
    assert acts_counted(7, "follow") == 3
    # A lower number (a newer member's trust level, say) applies to the same count.
    with pytest.raises(RateLimited):
        record_act(7, "follow", 3)
    assert acts_counted(8, "follow") == 0


def test_follow_unfollow_cycles_notify_once_and_are_counted(app, make_user):
    mallory = make_user(email="mallory@example.com")
    victim = make_user(email="victim@example.com")
    refused = 0
    for _ in range(60):
        try:
            follows.follow(mallory, victim)
        except NetworkError as error:
            assert "today" in str(error)
            refused += 1
        db.session.commit()
        follows.unfollow(mallory, victim)
        db.session.commit()
    assert refused == 60 - FOLLOWS_PER_DAY
    assert count(Notification, user_id=victim.id, kind="new_follower") == 1
    assert count(OutboxEmail, to_address="victim@example.com") == 1


def test_answer_withdraw_answer_notifies_once(app, make_user):
    ann = make_user(email="ann@example.com")
    ben = make_user(email="ben@example.com")
    help_request = requests.post_request(ann, request_input())
    db.session.commit()
    for _ in range(10):
        answer = answers.answer_request(ben, help_request, "I would love to read it.")
        answers.withdraw_answer(ben, answer)
        db.session.commit()
    assert count(Notification, user_id=ann.id, kind="answer_received") == 1
    assert acts_counted(ben.id, "answer") == 10
    # Another volunteer's offer on the same request is news.
    cleo = make_user(email="cleo@example.com")
    answers.answer_request(cleo, help_request, "Me too!")
    db.session.commit()
    assert count(Notification, user_id=ann.id, kind="answer_received") == 2


def test_answers_are_limited_as_acts(app, make_user):
    ann = make_user(email="ann@example.com")
    ben = make_user(email="ben@example.com")
    help_request = requests.post_request(ann, request_input())
    db.session.commit()
    with pytest.raises(answers.HelpingError, match="a lot today"):
        for _ in range(answers.ANSWERS_PER_DAY + 1):
            answer = answers.answer_request(ben, help_request, "I would love to read it.")
            answers.withdraw_answer(ben, answer)
            db.session.commit()


@pytest.mark.parametrize("ending", ["decline", "withdraw"])
def test_no_comments_on_an_ended_offer(app, client, make_user, ending):
    ann = make_user(email="ann@example.com")
    ben = make_user(email="ben@example.com")
    help_request = requests.post_request(ann, request_input())
    answer = answers.answer_request(ben, help_request, "I would love to read it.")
    if ending == "decline":
        answers.decline_answer(ann, answer)
        commenter = "ben@example.com"
    else:
        answers.withdraw_answer(ben, answer)
        commenter = "ann@example.com"
    db.session.commit()
    notifications = count(Notification)
    assert login(client, commenter).status_code == 302
    for _ in range(5):
        response = client.post(f"/answers/{answer.id}/comments", data={"body": "Why not?"})
        assert response.status_code in (302, 403, 404)
    assert count(AnswerComment) == 0
    assert count(Notification) == notifications


def test_comment_notifications_merge_while_unread(app, make_user):
    ann = make_user(email="ann@example.com")
    ben = make_user(email="ben@example.com")
    help_request = requests.post_request(ann, request_input())
    answer = answers.answer_request(ben, help_request, "I would love to read it.")
    db.session.commit()
    for n in range(5):
        answers.comment_on_answer(ben, answer, f"Question {n}?")
        db.session.commit()
    assert count(AnswerComment) == 5
    assert count(Notification, user_id=ann.id, kind="answer_comment") == 1


@pytest.mark.parametrize("settings", [{"MAX_OPEN_REQUESTS": 3}], ids=["max3"])
def test_at_most_max_open_requests(app, client, make_user):
    ann = make_user(email="ann@example.com")
    assert login(client, "ann@example.com").status_code == 302
    data = {
        "details": "A 90k-word fantasy; I would love notes on the pacing of the middle.",
        "skills": ["beta-reading"],
        "format": "written",
        "effort": "about 6 hours",
        "helpers_wanted": "2",
    }
    statuses = [
        client.post("/requests/new", data={**data, "title": f"Request number {n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [302, 302, 302, 403, 403]
    assert count(HelpRequest, requester_id=ann.id) == 3
    # Closing one and reopening another is refused too.
    first = db.session.scalar(select(HelpRequest).order_by(HelpRequest.id))
    client.post(f"/requests/{first.id}/close")
    assert client.post("/requests/new", data={**data, "title": "Fourth one"}).status_code == 302
    assert client.post(f"/requests/{first.id}/reopen").status_code == 302
    assert count(HelpRequest, requester_id=ann.id, status="open") == 3


def test_chat_pair_is_unaffected(app, make_user):
    # Matches still open conversations as before (the helpers above did not break them).
    ann = make_user(email="ann@example.com")
    ben = make_user(email="ben@example.com")
    _, conversation = make_match(ann, ben)
    assert conversation is not None
