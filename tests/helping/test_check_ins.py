"""Check-ins: a quiet active match gets "how is it going?" (both members, at
most twice, never while they talk), answered by one-click signed links: "we're
on it" snoozes, "the help is done" leads to thanks (or the helper's "I
finished my part"), "it stalled" ends the match kindly with the places
restored and the next suggestions shown. Expired and foreign links change
nothing.

The clock is the job's ``now``: time moves by running it later, as the
scheduler would (a chat message is written at the real now)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from community import jobs
from community.blocking import block
from community.chat import service as chat
from community.db import db, utcnow
from community.errors import NotAllowed, NotFound
from community.helping import check_ins, matches, requests
from community.helping.models import HelpRequest, Match, MatchStatus, RequestStatus
from community.kindness import service as kindness
from community.notifications import service as notifications
from community.notifications.digest import send_daily_digests
from community.notifications.kinds import DAILY, OFF
from community.waiting.service import waiting_count, waiting_for
from tests.builders import make_match, notifications_of, reload
from tests.conftest import Auth

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
WEEK = 7 * DAY


@pytest.fixture
def pair(make_user):
    """Ann asks, Vic helps: matched; nobody has written."""
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    vic = make_user(email="vic@example.com", display_name="Vic Volunteer")
    match, conversation = make_match(ann, vic)
    return ann, vic, reload(match), conversation


def write(user, conversation, text: str = "How are the chapters going?") -> None:
    chat.send(user, conversation.id, f"m{time.monotonic_ns()}", text)
    db.session.commit()


def check_in_at(moment) -> int:
    return check_ins.send_check_ins(now=moment)


def check_in_mails(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if m["Subject"].startswith("How is it going")]


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def token(match, user, action: str) -> str:
    return check_ins.check_in_token(match, user.id, action)


def test_the_defaults_the_due_time_and_the_job(app, pair):
    _ann, _vic, match, _ = pair
    assert app.config["CHECK_IN_AFTER_DAYS"] == 7
    assert app.config["CHECK_INS_MAX"] == 2
    assert match.check_in_due_at == match.created_at + WEEK
    assert match.check_ins_sent == 0 and match.check_in_open_at is None
    [job] = [job for job in jobs.PERIODIC if job.name == "check-ins"]
    assert job.path == "community.helping.check_ins:send_check_ins"


def test_the_periodic_run_only_finds_and_hands_the_sending_to_a_job(
    app, pair, make_user, count_queries, monkeypatch
):
    """The scheduler's run is one indexed read of the due times (and one
    UPDATE for those no longer needed); the check-ins are sent by a job of
    their own after the commit, which claims each, so a batch run twice sends
    once."""
    ann, vic, match, _ = pair
    other, _ = make_match(
        make_user(email="cy@example.com", display_name="Cy Asker"),
        make_user(email="di@example.com", display_name="Di Helper"),
    )
    matches.cancel_match(reload(other).requester, reload(other), "Plans changed.")
    db.session.commit()
    db.session.execute(
        update(Match).where(Match.id == other.id).values(check_in_due_at=match.check_in_due_at)
    )
    db.session.commit()
    handed = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, **kw: handed.append((func, args)))
    moment = match.check_in_due_at + MINUTE
    with count_queries() as counter:
        assert check_in_at(moment) == 1
    statements = [s.lstrip().split()[0].upper() for s in counter.statements]
    assert statements.count("SELECT") == 1 and statements.count("UPDATE") == 1
    assert notifications_of(ann, "check_in") == []  # nothing sent by the scheduler itself
    assert reload(other).check_in_due_at is None  # the ended match is let go
    [(func, args)] = handed
    assert func is check_ins.send_check_in_batch and args == ([match.id], moment)

    assert check_ins.send_check_in_batch([match.id], moment) == 1
    assert check_ins.send_check_in_batch([match.id], moment) == 0  # a retried job
    assert len(notifications_of(ann, "check_in")) == len(notifications_of(vic, "check_in")) == 1


def test_none_before_its_time(app, pair, mailbox):
    ann, vic, match, _ = pair
    assert check_in_at(match.check_in_due_at - MINUTE) == 0
    assert notifications_of(ann, "check_in") == notifications_of(vic, "check_in") == []
    assert check_in_mails(mailbox, "ann@example.com") == []


def test_once_to_both_with_three_one_click_answers(app, pair, mailbox):
    ann, vic, match, conversation = pair
    due = match.check_in_due_at
    assert check_in_at(due + MINUTE) == 1
    for member, address in ((ann, "ann@example.com"), (vic, "vic@example.com")):
        [notice] = notifications_of(member, "check_in")
        assert notice.data["match_id"] == match.id and notice.data["round"] == 1
        [email] = check_in_mails(mailbox, address)
        text = mailbox.text(email)
        assert "the chat has been quiet for 7 days" in text
        for words in ("We're on it: ", "The help is done: ", "It stalled"):
            assert words in text
        assert text.count("http://kindred.test/check-ins/") == 3
        assert f"http://kindred.test/chats/{conversation.id}" in text
    match = reload(match)
    assert match.check_ins_sent == 1
    assert match.check_in_open_at is not None
    assert match.check_in_due_at == due + MINUTE + WEEK

    assert check_in_at(due + 2 * MINUTE) == 0  # a second run sends nothing
    assert len(notifications_of(ann, "check_in")) == 1


def test_repeats_at_most_twice(app, pair, mailbox):
    ann, _vic, match, _ = pair
    first = match.check_in_due_at + MINUTE
    assert check_in_at(first) == 1
    assert check_in_at(first + WEEK - 2 * MINUTE) == 0  # not before the next period
    assert check_in_at(first + WEEK) == 1
    match = reload(match)
    assert match.check_ins_sent == 2
    assert match.check_in_due_at is None  # that was the last
    assert "This is the last time we ask" in mailbox.text(
        check_in_mails(mailbox, "vic@example.com")[-1]
    )
    for later in (first + 3 * WEEK, first + 30 * WEEK):
        assert check_in_at(later) == 0
    assert [n.data["round"] for n in notifications_of(ann, "check_in")] == [1, 2]
    assert len(check_in_mails(mailbox, "vic@example.com")) == 2


def test_a_message_pushes_the_check_in_back_and_answers_one_waiting(app, pair):
    ann, vic, match, conversation = pair
    # Three quiet days go by (the match's times move back), then Vic writes.
    db.session.execute(
        update(Match)
        .where(Match.id == match.id)
        .values(
            created_at=match.created_at - 3 * DAY, check_in_due_at=match.check_in_due_at - 3 * DAY
        )
    )
    db.session.commit()
    old_due = reload(match).check_in_due_at
    before = utcnow()
    write(vic, conversation)
    match = reload(match)
    assert before + WEEK <= match.check_in_due_at <= utcnow() + WEEK
    assert check_in_at(old_due + MINUTE) == 0  # they are talking: nobody is checked on
    assert notifications_of(ann, "check_in") == []

    assert check_in_at(match.check_in_due_at + MINUTE) == 1  # quiet again for a week
    assert reload(match).check_in_open_at is not None
    assert [m.id for m in waiting_for(ann.id).check_ins] == [match.id]
    assert [m.id for m in waiting_for(vic.id).check_ins] == [match.id]
    assert waiting_count(vic.id) == 1  # Vic has written: only the check-in waits
    write(ann, conversation, "Sorry, a busy week! Chapter three is coming.")
    match = reload(match)
    assert match.check_in_open_at is None  # writing answers it
    assert waiting_for(vic.id).check_ins == []


def test_we_are_on_it_snoozes_through_the_link_without_a_login(app, pair, client):
    ann, _vic, match, _ = pair
    assert check_in_at(match.check_in_due_at + MINUTE) == 1
    link = f"/check-ins/{token(match, ann, check_ins.ON_IT)}"
    page = client.get(link)
    assert page.status_code == 200
    assert "We're on it" in page.get_data(as_text=True)
    assert reload(match).check_in_open_at is not None  # GET asks, changes nothing

    before = utcnow()
    done = client.post(link)
    assert done.status_code == 200
    assert "Good to hear" in done.get_data(as_text=True)
    match = reload(match)
    assert match.check_in_open_at is None
    assert match.check_in_due_at >= before + WEEK
    assert waiting_for(ann.id).check_ins == []
    assert check_in_at(before + WEEK - MINUTE) == 0  # snoozed a full period
    assert client.post(link).status_code == 200  # a second click is harmless


def test_it_stalled_ends_kindly_restores_the_place_and_suggests_others(
    app, pair, client, mailbox, make_offer, make_user
):
    ann, vic, match, _ = pair
    cara = make_user(email="cara@example.com", display_name="Cara Kind")
    make_offer(cara, capacity=3)
    request = reload(match.request)
    places = request.places_taken
    assert check_in_at(match.check_in_due_at + MINUTE) == 1

    link = f"/check-ins/{token(match, ann, check_ins.STALLED)}"
    assert "End the match kindly" in client.get(link).get_data(as_text=True)
    too_long = client.post(link, data={"reason": "x" * (matches.REASON_MAX + 1)})
    assert too_long.status_code == 400
    assert "x" * 50 in too_long.get_data(as_text=True)  # the word is kept
    assert reload(match).status == MatchStatus.ACTIVE

    done = client.post(link, data={"reason": "Life got busy for both of us."})
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert "Your request is open again" in page
    assert "Cara Kind" in page  # the next best suggestion
    match, request = reload(match), db.session.get(HelpRequest, request.id)
    assert match.status == MatchStatus.CANCELLED and match.stalled
    assert match.cancel_reason == "Life got busy for both of us."
    assert match.cancelled_by_id == ann.id
    assert match.check_in_due_at is None and match.check_in_open_at is None
    assert request.places_taken == places - 1
    assert request.status == RequestStatus.OPEN
    [told] = notifications_of(vic, "match_stalled")
    assert "stalled" in notifications.render_message(told)
    [email] = [m for m in mailbox.to("vic@example.com") if "ended kindly" in m["Subject"]]
    assert "Life got busy for both of us." in mailbox.text(email)

    # Both are asked, privately, how it went.
    assert [m.id for m in waiting_for(ann.id).closures] == [match.id]
    assert [m.id for m in waiting_for(vic.id).closures] == [match.id]
    # The link does nothing more now: the match has ended.
    again = client.post(link, data={"reason": ""})
    assert "This match has ended" in again.get_data(as_text=True)
    assert len(notifications_of(vic, "match_stalled")) == 1


def test_the_helper_says_it_stalled_and_the_requester_hears_of_others(
    app, pair, client, mailbox, make_offer, make_user
):
    ann, vic, match, _ = pair
    cara = make_user(email="cara@example.com", display_name="Cara Kind")
    make_offer(cara, capacity=3)
    assert check_in_at(match.check_in_due_at + MINUTE) == 1
    answer = client.post(f"/check-ins/{token(match, vic, check_ins.STALLED)}", data={})
    assert answer.status_code == 200
    match = reload(match)
    assert match.stalled and match.cancel_reason == check_ins.STALL_WORDS
    [told] = notifications_of(ann, "match_stalled")
    assert "Cara Kind" in notifications.render_message(told)
    [email] = [m for m in mailbox.to("ann@example.com") if "ended kindly" in m["Subject"]]
    text = mailbox.text(email)
    assert "Your request is open again" in text and "Cara Kind" in text


def test_the_help_is_done(app, pair, client, mailbox):
    ann, vic, match, _ = pair
    assert check_in_at(match.check_in_due_at + MINUTE) == 1

    # The requester's "done" leads to the thank-you form on the match page.
    answer = client.post(f"/check-ins/{token(match, ann, check_ins.DONE)}")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/matches/{match.id}#complete-heading")
    assert reload(match).check_in_open_at is None

    # The helper's is "I finished my part": the requester is reminded once.
    link = f"/check-ins/{token(match, vic, check_ins.DONE)}"
    assert "I finished my part" in client.get(link).get_data(as_text=True)
    assert "Thank you for your help!" in client.post(link).get_data(as_text=True)
    assert client.post(link).status_code == 200
    [reminder] = notifications_of(ann, "helper_finished")
    assert reminder.data["match_id"] == match.id
    assert reload(match).helper_done_at is not None
    assert [m.id for m in waiting_for(ann.id).to_thank] == [match.id]
    assert waiting_for(ann.id).check_ins == waiting_for(vic.id).check_ins == []
    # Her first message, and the thank-you: two things wait for Ann.
    assert waiting_count(ann.id) == 2
    assert reload(match).check_in_due_at is None  # no more check-ins

    kindness.complete_match(ann, reload(match), "Thank you, your notes were wonderful.")
    db.session.commit()
    assert waiting_for(ann.id).to_thank == []
    assert len(notifications_of(ann, "helper_finished")) == 1


def test_i_finished_my_part_waits_for_a_check_in(app, pair):
    ann, vic, match, _ = pair
    with pytest.raises(NotAllowed, match="once we have checked in"):
        check_ins.finish_part(vic, match)
    with pytest.raises(NotFound):
        check_ins.finish_part(ann, match)  # the requester marks it received instead
    db.session.rollback()
    assert check_in_at(match.check_in_due_at + MINUTE) == 1
    match = reload(match)
    assert check_ins.can_finish_part(match, vic.id)
    assert not check_ins.can_finish_part(match, ann.id)
    assert check_ins.finish_part(vic, match) is True
    assert check_ins.finish_part(vic, match) is False  # once
    db.session.commit()
    assert len(notifications_of(ann, "helper_finished")) == 1


def test_an_expired_link_is_refused_and_changes_nothing(app, pair, client, monkeypatch):
    ann, _vic, match, _ = pair
    check_in_at(match.check_in_due_at + MINUTE)
    age = timedelta(days=app.config["CHECK_IN_LINK_DAYS"], minutes=1).total_seconds()
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - age)
    old = token(match, ann, check_ins.STALLED)
    monkeypatch.setattr("itsdangerous.timed.time.time", real_time)
    for answer in (client.get(f"/check-ins/{old}"), client.post(f"/check-ins/{old}")):
        assert answer.status_code == 404
        assert "This link has expired" in answer.get_data(as_text=True)
    assert reload(match).status == MatchStatus.ACTIVE


def test_tampered_and_foreign_links_are_refused(app, pair, make_user):
    ann, _vic, match, _ = pair
    make_user(email="tom@example.com", display_name="Tom Third")
    check_in_at(match.check_in_due_at + MINUTE)
    good = token(match, ann, check_ins.STALLED)
    other_purpose = requests.keep_open_token(reload(match).request)
    anonymous = app.test_client()
    for bad in (good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), other_purpose, "x"):
        answer = anonymous.post(f"/check-ins/{bad}")
        assert answer.status_code == 404
        assert "This link is not valid" in answer.get_data(as_text=True)
    # Ann's link, opened by another signed-in member (Vic, or a stranger).
    for email in ("vic@example.com", "tom@example.com"):
        answer = signed_in(app, email).post(f"/check-ins/{good}")
        assert answer.status_code == 404
        assert "sent to another member" in answer.get_data(as_text=True)
    assert reload(match).status == MatchStatus.ACTIVE
    assert reload(match).check_in_open_at is not None
    # A link naming a member who is not in the match.
    stranger = make_user(email="sam@example.com", display_name="Sam Stranger")
    forged = check_ins.check_in_token(match, stranger.id, check_ins.ON_IT)
    assert anonymous.get(f"/check-ins/{forged}").status_code == 404


def test_the_match_page_offers_the_answers_while_a_check_in_waits(app, pair):
    _ann, _vic, match, _ = pair
    ann_client = signed_in(app, "ann@example.com")
    assert "How is it going?" not in ann_client.get(f"/matches/{match.id}").get_data(as_text=True)
    check_in_at(match.check_in_due_at + MINUTE)
    page = ann_client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "How is it going?" in page and page.count("/check-ins/") == 3
    assert "I finished my part" not in page  # the helper's, not the requester's
    vic_page = signed_in(app, "vic@example.com").get(f"/matches/{match.id}")
    assert "I finished my part" in vic_page.get_data(as_text=True)


def test_the_finished_button_on_the_match_page(app, pair):
    _ann, _vic, match, _ = pair
    vic_client = signed_in(app, "vic@example.com")
    early = vic_client.post(f"/matches/{match.id}/finished", follow_redirects=True)
    assert "once we have checked in with you both" in early.get_data(as_text=True)
    assert reload(match).helper_done_at is None
    check_in_at(match.check_in_due_at + MINUTE)
    assert "I finished my part" in vic_client.get(f"/matches/{match.id}").get_data(as_text=True)
    done = vic_client.post(f"/matches/{match.id}/finished", follow_redirects=True)
    assert "We have asked Ann Asker to mark it received" in done.get_data(as_text=True)
    assert reload(match).helper_done_at is not None
    ann_page = signed_in(app, "ann@example.com").get(f"/matches/{match.id}")
    assert "Vic Volunteer finished their part" in ann_page.get_data(as_text=True)


def test_check_ins_follow_the_notification_preferences(app, pair, mailbox):
    ann, vic, match, _ = pair
    notifications.set_preference(ann.id, "check_in", DAILY)
    notifications.set_preference(vic.id, "check_in", OFF)
    db.session.commit()
    assert check_in_at(match.check_in_due_at + MINUTE) == 1
    assert check_in_mails(mailbox, "ann@example.com") == []
    assert check_in_mails(mailbox, "vic@example.com") == []
    assert len(notifications_of(vic, "check_in")) == 1  # on the site only
    send_daily_digests()
    digests = [m for m in mailbox.to("ann@example.com") if "How is it going" in mailbox.text(m)]
    assert len(digests) == 1


def test_no_check_in_for_an_ended_or_blocked_match(app, pair, make_user):
    ann, vic, match, _ = pair
    due = match.check_in_due_at
    block(ann, vic)
    db.session.commit()
    assert check_in_at(due + MINUTE) == 0
    assert reload(match).check_in_due_at is None
    assert notifications_of(ann, "check_in") == notifications_of(vic, "check_in") == []


def test_a_completed_match_is_not_checked_on(app, pair):
    ann, vic, match, _ = pair
    due = match.check_in_due_at
    kindness.complete_match(ann, match, "Thank you, your notes were wonderful.")
    db.session.commit()
    assert reload(match).check_in_due_at is None
    assert check_in_at(due + MINUTE) == 0
    assert notifications_of(vic, "check_in") == []


def test_both_saying_it_stalled_gives_the_place_back_once(app, pair):
    ann, vic, match, _ = pair
    check_in_at(match.check_in_due_at + MINUTE)
    places = reload(match.request).places_taken
    check_ins.stall(token(match, ann, check_ins.STALLED), "", None)
    db.session.commit()
    with pytest.raises(NotAllowed, match="already ended"):
        check_ins.stall(token(match, vic, check_ins.STALLED), "Me too.", None)
    db.session.rollback()
    assert db.session.get(HelpRequest, match.request_id).places_taken == places - 1
    assert len(notifications_of(vic, "match_stalled")) == 1
    assert notifications_of(ann, "match_stalled") == []
