"""First contact after a match: who has written (read from the chat itself),
and the one reminder each, the helper's first, then the requester's, while
nobody has written. Time moves by moving the match's stored times back, as
the expiry tests do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.chat import service as chat
from community.chat.models import ConversationMember
from community.db import db, utcnow
from community.helping import first_contact, matches
from community.helping.models import Match
from community.notifications import service as notifications
from community.notifications.digest import send_daily_digests
from community.notifications.kinds import DAILY, OFF
from tests.builders import make_match, notifications_of, reload

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def pair(make_user):
    """Ann asks, Vic helps: matched, nobody has written yet."""
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    vic = make_user(email="vic@example.com", display_name="Vic Volunteer")
    match, conversation = make_match(ann, vic)
    return ann, vic, match, conversation


def time_passes(match, by: timedelta) -> None:
    """``by`` goes by for the match: everything it holds about time moves back."""
    current = reload(match)
    values = {
        key: getattr(current, key) - by
        for key in ("created_at", "helper_reminder_due_at", "requester_reminder_due_at")
        if getattr(current, key) is not None
    }
    db.session.execute(update(Match).where(Match.id == match.id).values(values))
    db.session.commit()


def write(user, conversation, text: str = "Hello! Tell me about your book.") -> None:
    chat.send(user, conversation.id, f"m{utcnow().timestamp()}".replace(".", "-"), text)
    db.session.commit()


def remind() -> int:
    return first_contact.send_first_contact_reminders()


def reminders(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if m["Subject"].startswith("Say hello")]


def hours(app, name: str) -> timedelta:
    return timedelta(hours=app.config[name])


def test_the_defaults_and_the_due_times(app, pair):
    _ann, _vic, match, _ = pair
    assert app.config["FIRST_CONTACT_REMINDER_HOURS"] == 24
    assert app.config["FIRST_CONTACT_REQUESTER_AFTER_HOURS"] == 24
    match = reload(match)
    assert match.helper_reminder_due_at == match.created_at + timedelta(hours=24)
    assert match.requester_reminder_due_at == match.created_at + timedelta(hours=48)


def test_the_chat_records_when_each_member_first_wrote(app, pair):
    ann, vic, match, conversation = pair
    assert chat.first_writes_of_matches([match.id]) == {match.id: {ann.id: None, vic.id: None}}
    write(vic, conversation)
    first = chat.first_writes_of_matches([match.id])[match.id][vic.id]
    assert first is not None
    write(vic, conversation, "And a second message.")
    assert chat.first_writes_of_matches([match.id])[match.id] == {ann.id: None, vic.id: first}


def test_the_state_in_words_for_each_side(app, pair):
    ann, vic, match, conversation = pair
    match = reload(match)
    neither = "Neither of you has written yet: here is a way to start."
    assert first_contact.first_contact_of(match, ann.id).words == neither
    assert first_contact.first_contact_of(match, vic.id).words == neither

    write(vic, conversation)
    assert (
        first_contact.first_contact_of(match, ann.id).words
        == "Vic Volunteer has written; you haven't answered yet."
    )
    assert (
        first_contact.first_contact_of(match, vic.id).words
        == "You have written; Ann Asker hasn't answered yet."
    )

    write(ann, conversation, "Thank you! It is a lighthouse novel.")
    state = first_contact.first_contact_of(match, ann.id)
    assert state.made
    assert state.words == "You and Vic Volunteer have both written: first contact made."


def test_no_reminder_before_its_time(app, pair, mailbox):
    _ann, vic, match, _ = pair
    time_passes(match, hours(app, "FIRST_CONTACT_REMINDER_HOURS") - MINUTE)
    assert remind() == 0
    assert notifications_of(vic, "first_contact") == []
    assert reminders(mailbox, "vic@example.com") == []


def test_the_helper_then_the_requester_once_each(app, pair, mailbox):
    ann, vic, match, conversation = pair
    time_passes(match, hours(app, "FIRST_CONTACT_REMINDER_HOURS") + MINUTE)

    assert remind() == 1  # the helper's, only
    [notice] = notifications_of(vic, "first_contact")
    assert notifications_of(ann, "first_contact") == []
    assert notice.data["match_id"] == match.id
    assert notice.data["conversation_id"] == conversation.id
    [email] = reminders(mailbox, "vic@example.com")
    text = mailbox.text(email)
    assert "Hello Vic Volunteer" in text
    assert "I'm glad I can help with “Beta readers for my novel”" in text  # the first message
    assert notice.data["first_message"] in " ".join(text.split())
    assert f"http://kindred.test/chats/{conversation.id}" in text  # straight into the chat
    assert reload(match).helper_reminder_due_at is None

    assert remind() == 0  # never twice
    assert len(notifications_of(vic, "first_contact")) == 1

    time_passes(match, hours(app, "FIRST_CONTACT_REQUESTER_AFTER_HOURS"))
    assert remind() == 1  # now the requester's
    [to_ann] = notifications_of(ann, "first_contact")
    assert "thank you so much for offering to help" in to_ann.data["first_message"]
    assert len(reminders(mailbox, "ann@example.com")) == 1

    time_passes(match, timedelta(days=30))
    assert remind() == 0
    assert len(notifications_of(vic, "first_contact")) == 1
    assert len(notifications_of(ann, "first_contact")) == 1
    assert len(reminders(mailbox, "vic@example.com")) == 1


def test_none_when_someone_wrote(app, pair, mailbox):
    ann, vic, match, conversation = pair
    write(ann, conversation, "Hello Vic, thank you for offering!")
    time_passes(match, timedelta(days=3))
    assert remind() == 0
    assert notifications_of(vic, "first_contact") == []
    assert notifications_of(ann, "first_contact") == []
    match = reload(match)
    assert match.helper_reminder_due_at is None
    assert match.requester_reminder_due_at is None


def test_writing_stops_the_requesters_reminder(app, pair):
    ann, vic, match, conversation = pair
    time_passes(match, hours(app, "FIRST_CONTACT_REMINDER_HOURS") + MINUTE)
    assert remind() == 1
    write(vic, conversation)  # the reminder worked
    time_passes(match, timedelta(days=2))
    assert remind() == 0
    assert notifications_of(ann, "first_contact") == []


def test_an_ended_match_is_not_reminded(app, pair):
    ann, vic, match, _ = pair
    matches.cancel_match(ann, reload(match), "My plans changed, sorry.")
    db.session.commit()
    time_passes(match, timedelta(days=3))
    assert remind() == 0
    assert notifications_of(vic, "first_contact") == []
    assert reload(match).requester_reminder_due_at is None


def test_preferences_are_honoured(app, pair, mailbox):
    ann, vic, match, _ = pair
    notifications.set_preference(vic.id, "first_contact", DAILY)
    notifications.set_preference(ann.id, "first_contact", OFF)
    db.session.commit()
    time_passes(match, timedelta(days=3))

    assert remind() == 2
    [to_vic] = notifications_of(vic, "first_contact")
    [to_ann] = notifications_of(ann, "first_contact")
    assert (to_vic.delivery, to_ann.delivery) == (DAILY, OFF)
    assert reminders(mailbox, "vic@example.com") == []
    assert reminders(mailbox, "ann@example.com") == []

    # Vic's comes in his daily digest; Ann's stays on the site.
    assert send_daily_digests() == 1
    [digest] = mailbox.to("vic@example.com")[-1:]
    assert "Nobody has written yet in your match with Ann Asker" in mailbox.text(digest)
    assert all(
        "Nobody has written yet" not in mailbox.text(m) for m in mailbox.to("ann@example.com")
    )


def test_a_run_twice_at_once_sends_once(app, pair):
    """The claim, not the read, decides: a second run that read the same due
    match finds its due time emptied and sends nothing."""
    _ann, vic, match, _ = pair
    time_passes(match, hours(app, "FIRST_CONTACT_REMINDER_HOURS") + MINUTE)
    now = utcnow()
    assert first_contact._claim(match.id, Match.helper_reminder_due_at, now)
    db.session.commit()
    assert remind() == 0
    assert notifications_of(vic, "first_contact") == []


def test_one_run_claims_every_due_match_at_once(app, make_user, count_queries):
    """However many reminders are due, the job reads, claims and clears them in
    a fixed number of statements on matches (the notifications are the rest)."""
    pairs = [
        make_match(
            make_user(email=f"asker{n}@example.com", display_name=f"Asker {n}"),
            make_user(email=f"helper{n}@example.com", display_name=f"Helper {n}"),
        )
        for n in range(4)
    ]
    write(reload(pairs[3][0]).requester, pairs[3][1])  # one chat has begun
    for match, _ in pairs:
        time_passes(match, hours(app, "FIRST_CONTACT_REMINDER_HOURS") + MINUTE)
    with count_queries() as counter:
        assert remind() == 3
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE MATCHES")]
    assert len(updates) == 2  # one claim, one clearing (of the match whose chat began)
    for match, _ in pairs[:3]:
        assert len(notifications_of(reload(match).helper, "first_contact")) == 1
        assert reload(match).helper_reminder_due_at is None
    assert notifications_of(reload(pairs[3][0]).helper, "first_contact") == []
    assert reload(pairs[3][0]).helper_reminder_due_at is None
    assert reload(pairs[3][0]).requester_reminder_due_at is None
    assert remind() == 0  # once, not twice


def test_the_periodic_job_and_its_command(app, pair):
    ann, vic, match, _ = pair
    time_passes(match, timedelta(days=3))
    result = app.test_cli_runner().invoke(args=["jobs", "remind-first-contact"])
    assert result.exit_code == 0, result.output
    assert len(notifications_of(vic, "first_contact")) == 1
    assert len(notifications_of(ann, "first_contact")) == 1


def test_the_match_page_says_it_in_words(app, pair, client, auth):
    _ann, vic, match, conversation = pair
    auth.login("ann@example.com")
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "Neither of you has written yet: here is a way to start." in page
    assert "A first message, if you like" in page
    write(vic, conversation)
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "Vic Volunteer has written; you haven&#39;t answered yet." in page


def test_first_wrote_at_is_a_member_column(app, pair):
    """Recorded on the chat's own row, so helping only reads it."""
    ann, vic, _match, conversation = pair
    write(ann, conversation)
    rows = db.session.execute(
        select(ConversationMember.user_id, ConversationMember.first_wrote_at).where(
            ConversationMember.conversation_id == conversation.id
        )
    ).all()
    assert {user_id: at is not None for user_id, at in rows} == {ann.id: True, vic.id: False}
