"""The demo community (``flask seed-demo``, ``make demo``): completed help with
thanks and pledges, and a history where kindness comes back, the host's too."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.accounts.models import User
from community.db import db
from community.demo import DEMO_PASSWORD, HOST_EMAIL, seed_demo_community
from community.helping.models import HelpRequest, Match, MatchStatus, RequestStatus
from community.kindness.models import CameBack, HelpAct, MemberRipples, Pledge, Thanks

# Building the whole demo community (about 20 s of work on an idle machine) is
# this module's fixture; a busy shared machine needs more than the suite's
# default timeout.
pytestmark = pytest.mark.timeout(600)


def count(statement) -> int:
    return db.session.scalar(statement)


def test_the_demo_history_has_thanks_pledges_chains_and_kindness_coming_back(app, client, auth):
    created = seed_demo_community()
    assert created["members"] == 61
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
    """The README's personas: the host (an author who asks) and a volunteer. The
    pages a newcomer opens first all have something in them."""
    from community.chat.models import Conversation, ConversationMember, Message
    from community.network import coach, welcomes
    from community.network.models import Follow, Welcome
    from community.notifications.models import Notification

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
