"""The demo community (``flask seed-demo``, ``make demo``): completed help with
thanks and pledges, and a history where kindness comes back, the host's too."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from community.accounts.models import User
from community.chat.models import Conversation, ConversationMember, Message
from community.db import db
from community.demo import DEMO_PASSWORD, HOST_EMAIL, MODERATOR_EMAIL, seed_demo_community
from community.demo.content.manuscript import READER_NOTES, TITLE
from community.helping.models import HelpRequest, Match, MatchStatus, RequestStatus
from community.kindness.models import CameBack, HelpAct, MemberRipples, Pledge, Thanks
from community.manuscripts.models import Comment, Manuscript, QuestionAnswer, Reader
from community.moderation.models import Report
from community.network import coach, welcomes
from community.network.models import Follow, Welcome
from community.notifications.models import Notification

# Building the whole demo community (about 20 s of work on an idle machine) is
# this module's fixture; a busy shared machine needs more than the suite's
# default timeout.
pytestmark = pytest.mark.timeout(600)


def count(statement) -> int:
    return db.session.scalar(statement)


def test_the_demo_history_has_thanks_pledges_chains_and_kindness_coming_back(app, client, auth):
    created = seed_demo_community()
    assert created["members"] == 63  # 60 members, the host, the moderator and a seller
    assert created["thanks"] > 0

    completed = count(
        select(func.count(HelpRequest.id)).where(HelpRequest.status == RequestStatus.COMPLETED)
    )
    assert completed >= 5
    # Every completed match was thanked, and every act of help is in the past, dated.
    completed_matches = count(
        select(func.count(Match.id)).where(Match.status == MatchStatus.COMPLETED)
    )
    assert count(select(func.count(Thanks.id)).where(Thanks.match_id.is_not(None))) == (
        completed_matches
    )
    assert count(select(func.count(HelpAct.id))) >= completed_matches + 3
    assert count(select(func.count(Pledge.id))) > 0
    assert count(select(func.count(Pledge.id)).where(Pledge.kept_at.is_not(None))) >= 1
    for pledge in db.session.scalars(select(Pledge).where(Pledge.kept_at.is_not(None))):
        kept_by = db.session.get(HelpAct, pledge.kept_act_id)
        assert kept_by.helper_id == pledge.user_id and kept_by.at > pledge.created_at

    host = db.session.scalar(select(User).where(User.email == HOST_EMAIL))
    events = db.session.scalars(select(CameBack)).all()
    assert len(events) >= 3
    assert any(event.member_id == host.id for event in events)
    for event in events:
        steps = event.chain
        assert steps[0]["helper"] == event.member_id == steps[-1]["helped"]
        assert [step["at"] for step in steps] == sorted(step["at"] for step in steps)
    assert count(select(func.max(MemberRipples.longest_chain))) >= 3
    host_ripples = db.session.get(MemberRipples, host.id)
    assert host_ripples.came_back >= 1 and host_ripples.reached >= 2

    # Running it again adds nothing.
    again = seed_demo_community()
    assert again["members"] == again["requests"] == again["thanks"] == 0
    assert count(select(func.count(CameBack.id))) == len(events)

    assert auth.login(HOST_EMAIL, DEMO_PASSWORD).status_code == 302
    page = client.get(f"/members/{host.id}/ripples")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html
    # The host's came-back chains are shown in names.
    for event in events:
        if event.member_id == host.id:
            for step in event.chain[1:]:
                assert db.session.get(User, step["helper"]).display_name in html


def test_the_demo_personas_find_every_first_page_alive(app, client, auth):
    """The README's personas: the host (an author who asks), a volunteer and a
    moderator. The pages a newcomer opens first all have something in them:
    the feed, the board, chats, notifications, ripples, welcomes, the
    moderation queue and the manuscript's reading pages."""
    created = seed_demo_community()
    assert created["follows"] > 50 and created["welcomes"] > 10 and created["messages"] > 20
    host = db.session.scalar(select(User).where(User.email == HOST_EMAIL))
    assert count(select(func.count()).where(Follow.follower_id == host.id)) >= 12
    assert count(select(func.count()).where(Follow.followed_id == host.id)) >= 12
    # Every welcome is one the coach approves.
    for welcome in db.session.scalars(select(Welcome)):
        info = welcomes.recipient_info(welcome.recipient)
        assert not coach.coach(welcome.body, info).codes(ok=False), welcome.body
    # Some new followers wait for the host's welcome.
    waiting = [
        follow.follower
        for follow in db.session.scalars(select(Follow).where(Follow.followed_id == host.id))
        if not welcomes.already_welcomed(host.id, follow.follower_id)
        and welcomes.can_welcome(host, follow.follower)
    ]
    assert len(waiting) >= 2
    unread_news = count(
        select(func.count()).where(
            Notification.user_id == host.id,
            Notification.kind == "new_follower",
            Notification.read_at.is_(None),
        )
    )
    assert unread_news >= 2

    host_chat = db.session.scalar(
        select(Conversation)
        .join(ConversationMember)
        .where(ConversationMember.user_id == host.id, Conversation.last_seq > 2)
        .order_by(Conversation.id)
    )
    first_line = db.session.scalar(
        select(Message.body).where(Message.conversation_id == host_chat.id, Message.seq == 1)
    )

    assert auth.login(HOST_EMAIL, DEMO_PASSWORD).status_code == 302
    pages = {
        "/feed": "started following",
        "/requests": "request-card",
        "/chats": f"/chats/{host_chat.id}",
        f"/chats/{host_chat.id}": first_line.split("!")[0].split(".")[0][:30],
        "/notifications/": "following you",
        f"/members/{host.id}/ripples": "<svg",
        "/welcomes": "?",
        f"/followers/{waiting[0].id}": waiting[0].display_name,
        f"/members/{host.id}/followers": waiting[0].display_name,
    }
    for path, expected in pages.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert expected in page.get_data(as_text=True), path
    auth.logout()

    # A volunteer: helping someone now, in a conversation with messages.
    match = db.session.scalar(
        select(Match)
        .join(Conversation, Conversation.match_id == Match.id)
        .where(
            Match.status == MatchStatus.ACTIVE,
            Match.helper_id != host.id,
            Match.requester_id != host.id,
            Conversation.last_seq > 0,
        )
        .order_by(Match.id)
    )
    assert match is not None
    assert auth.login(match.helper.email, DEMO_PASSWORD).status_code == 302
    for path, expected in {
        "/matches": match.request.title,
        "/offer": "this month",
        "/chats": match.requester.display_name,
        "/feed": "",
    }.items():
        page = client.get(path)
        assert page.status_code == 200, path
        assert expected in page.get_data(as_text=True), path
    auth.logout()

    # The host's manuscript: two readers at work, as the author sees it and as
    # each invited reader does (their own comments only).
    manuscript = db.session.scalar(select(Manuscript).where(Manuscript.author_id == host.id))
    assert manuscript is not None and manuscript.title == TITLE
    readers = db.session.scalars(
        select(Reader).where(Reader.manuscript_id == manuscript.id).order_by(Reader.id)
    ).all()
    assert len(readers) == 2 and all(reader.chapters_read >= 1 for reader in readers)
    assert count(select(func.count(Comment.id)).where(Comment.manuscript_id == manuscript.id)) == (
        len(READER_NOTES)
    )
    assert count(select(func.count(QuestionAnswer.id))) >= 2
    first_comment = str(escape(next(n.body for n in READER_NOTES if n.reader == "first")))
    second_comment = str(escape(next(n.body for n in READER_NOTES if n.reader == "second")))
    chapter_one = f"/manuscripts/{manuscript.id}/chapters/1"
    assert auth.login(HOST_EMAIL, DEMO_PASSWORD).status_code == 302
    html = client.get(f"/manuscripts/{manuscript.id}").get_data(as_text=True)
    assert "Keeper" in html and readers[0].user.display_name in html
    html = client.get(chapter_one).get_data(as_text=True)
    assert first_comment[:40] in html and second_comment[:40] in html
    assert "Yes, completely" in html  # a reader's answer to the chapter's question
    auth.logout()
    assert auth.login(readers[0].user.email, DEMO_PASSWORD).status_code == 302
    assert "Keeper" in client.get(f"/manuscripts/{manuscript.id}").get_data(as_text=True)
    html = client.get(chapter_one).get_data(as_text=True)
    assert first_comment[:40] in html and second_comment[:40] not in html
    auth.logout()

    # The moderator: a queue of open cases, each with its reports and words.
    open_reports = db.session.scalars(select(Report).where(Report.status == "open")).all()
    assert len({(r.reported_id, r.item_type, r.item_id) for r in open_reports}) >= 4
    assert auth.login(MODERATOR_EMAIL, DEMO_PASSWORD).status_code == 302
    page = client.get("/moderation/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for report in open_reports:
        assert report.reported.display_name in html
        assert report.reporter.display_name in html
    assert "The conversation when it was reported" in html  # the rude message, in context
