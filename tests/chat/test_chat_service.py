"""The chat domain and pages: who may talk, the quiet-period email, blocks, pages."""

from __future__ import annotations

import pytest
from limits import parse as parse_limit
from sqlalchemy import select

from community import blocking, blocks, limits
from community.chat import service
from community.chat.models import Conversation, ConversationKind, Message
from community.chat.text import linkify
from community.db import db
from community.errors import Invalid
from community.helping.models import MatchStatus
from community.network import follows
from community.network.follows import NetworkError
from community.notifications.service import set_preference
from tests.builders import make_match

_ids = iter(range(10**9))


def send(user, conversation, body, client_id=None):
    sent = service.send(user, conversation.id, client_id or f"id-{next(_ids)}", body)
    db.session.commit()
    return sent.message


@pytest.fixture
def connected(make_user):
    ann = make_user(email="ann@example.com", display_name="Ann Author")
    cat = make_user(email="cat@example.com", display_name="Cat Critic")
    follows.follow(ann, cat)
    follows.follow(cat, ann)
    db.session.commit()
    return ann, cat


# --- conversations and the one rule ------------------------------------------------------


def test_every_helper_of_a_request_gets_their_own_conversation(app, make_user):
    ann = make_user(display_name="Ann")
    ben, bob = make_user(display_name="Ben"), make_user(display_name="Bob")
    _, with_ben = make_match(ann, ben)
    _, with_bob = make_match(ann, bob)
    assert with_ben.id != with_bob.id
    assert sorted(service.member_ids(with_ben)) == sorted([ann.id, ben.id])
    assert sorted(service.member_ids(with_bob)) == sorted([ann.id, bob.id])
    assert with_ben.kind == ConversationKind.MATCH


def test_mutual_followers_get_one_conversation_for_the_pair(app, connected):
    ann, cat = connected
    first = service.conversation_with(ann, cat)
    db.session.commit()
    assert service.conversation_with(cat, ann).id == first.id
    assert first.kind == ConversationKind.CONNECTION
    assert service.talk_refusal(first, ann) is None


def test_members_who_do_not_follow_each_other_cannot_open_a_chat(app, make_user):
    ann, cat = make_user(), make_user()
    follows.follow(ann, cat)  # one way only
    db.session.commit()
    with pytest.raises(service.Refused, match="follow each other"):
        service.conversation_with(ann, cat)
    with pytest.raises(service.NotFound):
        service.conversation_with(ann, ann)
    assert db.session.scalar(select(Conversation)) is None


def test_unfollowing_closes_a_connection_chat_and_keeps_its_history(app, connected):
    ann, cat = connected
    conversation = service.conversation_with(ann, cat)
    send(ann, conversation, "Hello Cat")
    follows.unfollow(cat, ann)
    db.session.commit()
    with pytest.raises(service.Refused, match="follow each other"):
        service.send(ann, conversation.id, "late-1", "still there?")
    assert [m.body for m in service.latest(conversation)] == ["Hello Cat"]


def test_a_cancelled_match_stops_the_chat_but_a_completed_one_does_not(app, make_user):
    ann, ben = make_user(), make_user()
    match, conversation = make_match(ann, ben)
    match.status = MatchStatus.COMPLETED.value
    db.session.commit()
    assert service.talk_refusal(conversation, ann) is None
    match.status = MatchStatus.CANCELLED.value
    db.session.commit()
    assert "cancelled" in service.talk_refusal(conversation, ben)


def test_a_deleted_member_cannot_be_written_to(app, make_user):
    from community.db import utcnow

    ann, ben = make_user(), make_user()
    _, conversation = make_match(ann, ben)
    ben.deleted_at = utcnow()
    db.session.commit()
    assert service.talk_refusal(conversation, ann) == "This member has left Kindred."


def test_messages_are_numbered_without_gaps_per_conversation(app, make_user):
    ann, ben, bob = make_user(), make_user(), make_user()
    _, one = make_match(ann, ben)
    _, two = make_match(ann, bob)
    seqs = [send(ann, one, "a").seq, send(ben, one, "b").seq, send(ann, two, "c").seq]
    assert seqs == [1, 2, 1]
    assert [m.seq for m in service.after(one, 0)] == [1, 2]
    assert [m.seq for m in service.after(one, 1)] == [2]


# --- the quiet-period email --------------------------------------------------------------------


@pytest.fixture
def quiet(app):
    """An hour's quiet period (so no timer fires during the test), and
    :func:`run_due_emails` to let it pass at once."""
    app.config["CHAT_EMAIL_QUIET_SECONDS"] = 3600
    app.config["RATELIMIT_ENABLED"] = False
    return app


def run_due_emails(conversation, user) -> bool:
    """Two hours later: run the member's quiet-period email job."""
    from datetime import timedelta

    from community.chat.models import ConversationMember

    hours = timedelta(hours=2)
    for message in db.session.scalars(
        select(Message).where(Message.conversation_id == conversation.id)
    ):
        message.created_at -= hours
    for member in db.session.scalars(
        select(ConversationMember).where(ConversationMember.email_due_at.is_not(None))
    ):
        member.email_due_at -= hours
    db.session.commit()
    return service.send_unread_email(conversation.id, user.id)


def test_a_burst_of_unread_messages_gives_one_email_listing_them(quiet, make_user, mailbox):
    ann, ben = make_user(display_name="Ann Author"), make_user(email="ben@example.com")
    _, conversation = make_match(ann, ben)
    for n in range(20):
        send(ann, conversation, f"Thought number {n} about your chapter")
    assert run_due_emails(conversation, ben) is True
    assert run_due_emails(conversation, ben) is False  # a second run sends nothing more
    assert service.send_due_unread_emails() == 0
    emails = [m for m in mailbox.to("ben@example.com") if "wrote to you" in m["Subject"]]
    assert len(emails) == 1
    text = mailbox.text(emails[0])
    assert emails[0]["Subject"] == "Ann Author wrote to you on Kindred"
    assert all(f"Thought number {n} about" in text for n in range(20))
    assert f"/chats/{conversation.id}" in text


def test_no_email_when_the_messages_were_read_in_time(quiet, make_user, mailbox):
    ann, ben = make_user(), make_user(email="ben@example.com")
    _, conversation = make_match(ann, ben)
    send(ann, conversation, "Are you there?")
    service.mark_read(ben, conversation)
    db.session.commit()
    assert run_due_emails(conversation, ben) is False
    assert not [m for m in mailbox.to("ben@example.com") if "wrote to you" in m["Subject"]]


def test_new_messages_after_an_email_get_their_own_later(quiet, make_user, mailbox):
    ann, ben = make_user(), make_user(email="ben@example.com")
    _, conversation = make_match(ann, ben)
    send(ann, conversation, "first")
    assert run_due_emails(conversation, ben)
    send(ann, conversation, "second")
    assert run_due_emails(conversation, ben)
    texts = [mailbox.text(m) for m in mailbox.to("ben@example.com") if "wrote" in m["Subject"]]
    assert len(texts) == 2
    assert "first" in texts[0] and "second" not in texts[0]
    assert "second" in texts[1] and "first" not in texts[1]


def test_the_email_waits_for_the_quiet_period(app, make_user, mailbox):
    app.config["CHAT_EMAIL_QUIET_SECONDS"] = 3600
    ann, ben = make_user(), make_user(email="ben@example.com")
    _, conversation = make_match(ann, ben)
    send(ann, conversation, "no hurry")
    assert service.send_unread_email(conversation.id, ben.id) is False
    assert service.send_due_unread_emails() == 0
    assert not mailbox.to("ben@example.com")[1:]  # only the introduction, if any


def test_the_email_follows_the_members_preference(quiet, make_user, mailbox):
    ann, ben = make_user(), make_user(email="ben@example.com")
    set_preference(ben.id, "chat_unread", "off")
    db.session.commit()
    _, conversation = make_match(ann, ben)
    send(ann, conversation, "only on the site")
    assert run_due_emails(conversation, ben) is True  # the in-app notification is made
    assert not [m for m in mailbox.to("ben@example.com") if "wrote to you" in m["Subject"]]


def test_the_delayed_job_runs_the_email_without_redis(app, make_user, mailbox):
    """Without Redis the delayed job is a timer in the web process."""
    from tests.chat.conftest import wait_until

    app.config["CHAT_EMAIL_QUIET_SECONDS"] = 0
    ann, ben = make_user(display_name="Ann"), make_user(email="ben@example.com")
    _, conversation = make_match(ann, ben)
    send(ann, conversation, "see you soon")
    assert wait_until(
        lambda: any("wrote to you" in m["Subject"] for m in mailbox.to("ben@example.com"))
    )


@pytest.mark.redis
def test_with_redis_the_email_is_an_rq_scheduled_job(app_config, redis_url, make_user):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from community import create_app

    app = create_app({**app_config, "REDIS_URL": redis_url, "CHAT_EMAIL_QUIET_SECONDS": 600})
    with app.app_context():
        ann, ben = make_user(), make_user()
        _, conversation = make_match(ann, ben)
        service.send(ann, conversation.id, "rq-1", "hello")
        db.session.commit()
        queue = Queue(app.config["RQ_QUEUE"], connection=app.extensions["kindred_redis"])
        registry = ScheduledJobRegistry(queue=queue)
        jobs = [queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
        assert [job.args for job in jobs if "send_unread_email" in str(job.args)] == [
            ("community.chat.service:send_unread_email", conversation.id, ben.id)
        ]
        db.session.remove()


# --- blocks ------------------------------------------------------------------------------------


def test_a_block_works_both_ways_everywhere_and_can_be_lifted(app, connected, make_user):
    ann, cat = connected
    conversation = service.conversation_with(ann, cat)
    db.session.commit()
    assert blocking.block(ann, cat) is True
    assert blocking.block(ann, cat) is False
    db.session.commit()
    assert blocks.is_blocked_between(ann.id, cat.id) and blocks.is_blocked_between(cat.id, ann.id)
    assert blocks.blocked_ids(cat.id) == {ann.id}
    assert "blocked Cat Critic" in service.talk_refusal(conversation, ann)
    assert service.talk_refusal(conversation, cat) == "You cannot write to this member."
    follows.unfollow(cat, ann)
    db.session.commit()
    with pytest.raises(NetworkError):
        follows.follow(cat, ann)
    db.session.rollback()
    assert blocking.unblock(cat, ann) is False  # only the blocker can lift it
    assert blocking.unblock(ann, cat) is True
    db.session.commit()
    assert not blocks.is_blocked_between(ann.id, cat.id)
    follows.follow(cat, ann)
    db.session.commit()
    assert service.talk_refusal(conversation, cat) is None


def test_blocking_cancels_the_active_match_and_frees_the_place(app, make_user):
    ann, ben = make_user(), make_user()
    match, conversation = make_match(ann, ben)
    places = match.request.places_taken
    blocking.block(ben, ann)
    db.session.commit()
    db.session.refresh(match)
    assert match.status == MatchStatus.CANCELLED
    assert match.request.places_taken == places - 1
    with pytest.raises(service.Refused):
        service.send(ann, conversation.id, "x-1", "hello?")


def test_nobody_can_block_themselves(app, make_user):
    ann = make_user()
    with pytest.raises(Invalid):
        blocking.block(ann, ann)


# --- text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "plain"),
        ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        (
            "see https://example.com.",
            'see <a href="https://example.com" rel="nofollow noopener noreferrer" '
            'target="_blank">https://example.com</a>.',
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("https://", "https://"),
        (
            "(https://en.wikipedia.org/wiki/Foo_(bar))",
            '(<a href="https://en.wikipedia.org/wiki/Foo_(bar)" rel="nofollow noopener '
            'noreferrer" target="_blank">https://en.wikipedia.org/wiki/Foo_(bar)</a>)',
        ),
    ],
)
def test_linkify(text, html):
    assert str(linkify(text)) == html


# --- pages --------------------------------------------------------------------


@pytest.fixture
def matched(make_user):
    ann = make_user(email="ann@example.com", display_name="Ann Author")
    ben = make_user(email="ben@example.com", display_name="Ben Beta")
    _match, conversation = make_match(ann, ben)
    return ann, ben, conversation


def test_the_page_shows_the_latest_fifty_and_links_to_older(app, client, auth, matched):
    app.config["RATELIMIT_ENABLED"] = False
    ann, ben, conversation = matched
    for n in range(60):
        service.send(ann, conversation.id, f"n{n}", f"message number {n}")
    db.session.commit()
    auth.login("ben@example.com")
    page = client.get(f"/chats/{conversation.id}").get_data(as_text=True)
    assert "message number 59" in page and "message number 10<" in page
    assert "message number 9<" not in page
    assert f"/chats/{conversation.id}?before=11" in page
    older = client.get(f"/chats/{conversation.id}?before=11").get_data(as_text=True)
    assert "message number 0<" in older and "message number 10<" not in older
    # Opening the page read everything.
    assert service.unread_counts(ben.id) == {}


def test_the_plain_form_sends_and_a_double_submit_stores_once(client, auth, matched):
    _ann, _ben, conversation = matched
    auth.login("ann@example.com")
    data = {"body": "Sent without JavaScript", "client_id": "form-123"}
    for _ in range(2):
        response = client.post(f"/chats/{conversation.id}", data=data)
        assert response.status_code == 302
    db.session.rollback()
    assert [m.body for m in db.session.scalars(select(Message))] == ["Sent without JavaScript"]


def test_a_refused_form_keeps_the_text_and_says_why(client, auth, matched):
    _ann, _ben, conversation = matched
    auth.login("ann@example.com")
    long_text = "word " * 900
    response = client.post(
        f"/chats/{conversation.id}", data={"body": long_text, "client_id": "form-9"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "at most 4,000 characters" in page
    assert long_text.strip()[:200] in page
    response = client.post(f"/chats/{conversation.id}", data={"body": "", "client_id": "form-9"})
    assert response.status_code == 400 and "Write something first." in response.get_data(
        as_text=True
    )


def test_a_blocked_pairs_page_shows_why_and_no_composer(client, auth, matched):
    ann, ben, conversation = matched
    auth.login("ann@example.com")
    assert client.post(f"/chats/{conversation.id}/block").status_code == 302
    page = client.get(f"/chats/{conversation.id}").get_data(as_text=True)
    assert "You have blocked Ben Beta" in page and "Unblock Ben Beta" in page
    assert client.post(f"/chats/{conversation.id}/unblock").status_code == 302
    assert not blocks.is_blocked_between(ann.id, ben.id)


def test_the_chat_list_shows_the_latest_message_and_unread(client, auth, matched):
    ann, _ben, conversation = matched
    service.send(ann, conversation.id, "l-1", "First thoughts")
    service.send(ann, conversation.id, "l-2", "Latest thought")
    db.session.commit()
    auth.login("ben@example.com")
    page = client.get("/chats").get_data(as_text=True)
    assert "Latest thought" in page and "Ann Author" in page
    assert ('data-role="unread"' in page and ">\n            2<" in page) or "2<span" in page


def test_the_chat_list_query_count_does_not_grow(client, auth, make_user, count_queries):
    ann = make_user(email="ann@example.com", display_name="Ann")

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/chats").status_code == 200
        return counter.count

    auth.login("ann@example.com")
    for n in range(3):
        _, conversation = make_match(ann, make_user(display_name=f"Helper {n}"))
        service.send(ann, conversation.id, f"q{n}", "hi")
    db.session.commit()
    few = queries()
    for n in range(3, 30):
        _, conversation = make_match(ann, make_user(display_name=f"Helper {n}"))
        service.send(ann, conversation.id, f"q{n}", "hi")
    db.session.commit()
    assert queries() == few


def test_a_connected_member_can_open_a_chat_from_the_profile(client, auth, connected):
    _ann, cat = connected
    auth.login("ann@example.com")
    profile = client.get(f"/members/{cat.id}").get_data(as_text=True)
    assert f'action="/members/{cat.id}/chat"' in profile
    response = client.post(f"/members/{cat.id}/chat")
    conversation = db.session.scalar(select(Conversation))
    assert response.headers["Location"] == f"/chats/{conversation.id}"


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": False}], ids=["no-limits"])
def test_an_operator_can_turn_rate_limits_off(app, matched):
    """With RATELIMIT_ENABLED off from the start the limiter is never set up:
    the acts that count themselves go through instead of failing."""
    ann, _ben, conversation = matched
    assert limits.hit(parse_limit("1 per day"), "chat-send", str(ann.id))
    assert limits.hit(parse_limit("1 per day"), "chat-send", str(ann.id))
    for n in range(3):
        service.send(ann, conversation.id, f"off{n}", f"message {n}")
    db.session.commit()
    assert len(db.session.scalars(select(Message)).all()) == 3
