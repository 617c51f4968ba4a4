"""Introduction emails: when a match is made each side meets the other, once,
however often the job runs, in this process or through a real RQ worker."""

from __future__ import annotations

import pytest
from rq import Queue

from community import jobs
from community.db import db
from community.helping import introductions, matches
from community.helping.models import Match
from community.notifications import service
from community.notifications.kinds import OFF
from tests.builders import accept, answer, genre_id, notifications_of, reload
from tests.support_smtp import run_worker

SEND_INTRODUCTIONS = "community.helping.matches:send_introductions"
VIC_ABOUT = """I write epic fantasy with maps in the endpapers.

Fifteen years of beta reading for my writing group.
I care most about pacing and about endings.
Tea, long walks, and lighthouses.
This fifth line is left out of the excerpt."""
ANN_ABOUT = "Retired lighthouse keeper writing her first novel.\nShe asks good questions."


@pytest.fixture
def pair(make_user, make_volunteer):
    """Ann asks, Vic helps; both with a filled-in profile."""
    ann = make_user(
        email="ann@example.com",
        display_name="Ann Asker",
        profile__about=ANN_ABOUT,
        profile__stage="querying",
    )
    vic = make_volunteer(
        "Vic Volunteer",
        "beta-reading",
        email="vic@example.com",
        about=VIC_ABOUT,
        profile_genres=["fantasy", "science-fiction"],
    )
    ann.profile.genres = [db.session.get(type(vic.profile.genres[0]), genre_id("memoir"))]
    vic.profile.stage = "revising"
    db.session.commit()
    return ann, vic


def introductions_to(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if m["Subject"].startswith("Meet")]


def all_introductions(mailbox) -> list:
    return [m for m in mailbox.messages() if m["Subject"].startswith("Meet")]


def test_a_match_introduces_each_side_to_the_other_once(app, pair, make_request, mailbox):
    ann, vic = pair
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    match = accept(ann, answer(vic, request))

    [to_ann] = introductions_to(mailbox, "ann@example.com")
    [to_vic] = introductions_to(mailbox, "vic@example.com")
    match_link = f"http://kindred.test/matches/{match.id}"

    # Ann meets Vic: his name, the start of his about text, genres, stage.
    assert to_ann["Subject"] == (
        "Meet Vic Volunteer: your helper for “Pacing notes on my lighthouse novel”"
    )
    text = mailbox.text(to_ann)
    assert "Hello Ann Asker" in text
    assert "Vic Volunteer is going to help you" in text
    assert "I write epic fantasy with maps in the endpapers." in text
    assert "Tea, long walks, and lighthouses." in text
    assert "fifth line" not in text  # a few lines, not the whole text
    assert "Revising · Fantasy, Science fiction" in text
    assert f"Their profile: http://kindred.test/members/{vic.id}" in text
    assert "Pacing notes on my lighthouse novel" in text
    assert match_link in text
    first_message = text.split("A FIRST MESSAGE, IF YOU LIKE", 1)[1].split("\n\n", 1)[0]
    assert first_message.strip().startswith('"Hi Vic,')
    assert "?" in first_message  # it asks about him
    assert "fantasy" in first_message

    # Vic meets Ann.
    assert to_vic["Subject"] == (
        "Meet Ann Asker: you are helping with “Pacing notes on my lighthouse novel”"
    )
    text = mailbox.text(to_vic)
    assert "You are now helping Ann Asker" in text
    assert "Retired lighthouse keeper writing her first novel." in text
    assert "Querying agents · Memoir" in text
    assert match_link in text
    first_message = text.split("A FIRST MESSAGE, IF YOU LIKE", 1)[1].split("\n\n", 1)[0]
    assert first_message.strip().startswith('"Hi Ann,') and "?" in first_message
    assert "<p>" in to_vic.get_body(preferencelist=("html",)).get_content()  # an HTML part too

    # And an in-app notification each, leading to the match page.
    for member, other in ((ann, "Vic Volunteer"), (vic, "Ann Asker")):
        [notice] = notifications_of(member, "match_made")
        assert notice.data == {
            "match_id": match.id,
            "title": "Pacing notes on my lighthouse novel",
            "name": other,
        }
        with app.test_request_context():
            assert service.link(notice) == f"/matches/{match.id}"
    assert reload(match).introduced_at is not None

    # The job again (a retry, a duplicate): nothing more.
    assert matches.send_introductions(match.id) is False
    assert jobs.run_job(SEND_INTRODUCTIONS, match.id) is False
    assert len(all_introductions(mailbox)) == 2
    assert len(notifications_of(ann, "match_made")) == 1


def test_a_failed_run_sends_nothing_and_a_retry_sends_once(
    app, pair, make_request, mailbox, monkeypatch
):
    ann, vic = pair
    request = make_request(ann)

    def broken(match):
        raise RuntimeError("the mail template blew up")

    with monkeypatch.context() as patch:
        patch.setattr(matches, "introduce", broken)  # the name the job calls
        match = accept(ann, answer(vic, request))  # the after-commit run fails (logged)
    assert reload(match).introduced_at is None  # its claim was rolled back with it
    assert all_introductions(mailbox) == []
    assert notifications_of(ann, "match_made") == []

    assert jobs.run_job(SEND_INTRODUCTIONS, match.id) is True  # the retry
    assert jobs.run_job(SEND_INTRODUCTIONS, match.id) is False
    assert len(introductions_to(mailbox, "ann@example.com")) == 1
    assert len(introductions_to(mailbox, "vic@example.com")) == 1


def test_a_rolled_back_match_introduces_nobody(app, pair, make_request, mailbox):
    ann, vic = pair
    made = answer(vic, make_request(ann))
    matches.accept_answer(ann, made)
    db.session.rollback()
    db.session.commit()
    assert db.session.query(Match).count() == 0
    assert all_introductions(mailbox) == []
    assert notifications_of(ann, "match_made") == []


def test_a_member_who_turned_introduction_emails_off_gets_the_notification_only(
    app, pair, make_request, mailbox
):
    ann, vic = pair
    service.set_preference(ann.id, "match_made", OFF)
    db.session.commit()
    accept(ann, answer(vic, make_request(ann)))

    assert introductions_to(mailbox, "ann@example.com") == []
    assert len(introductions_to(mailbox, "vic@example.com")) == 1
    [notice] = notifications_of(ann, "match_made")
    assert notice.delivery == OFF
    assert len(notifications_of(vic, "match_made")) == 1


def test_the_first_message_asks_about_the_other_person(app, pair, make_request):
    ann, vic = pair
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    from_ann = introductions.suggested_first_message(ann, vic, request, i_am_helper=False)
    from_vic = introductions.suggested_first_message(vic, ann, request, i_am_helper=True)
    assert from_ann.startswith("Hi Vic,") and from_ann.count("?") >= 1
    assert "I see you write fantasy" in from_ann
    assert from_vic.startswith("Hi Ann,") and "what matters most to you" in from_vic
    assert "I see you write memoir" in from_vic


def test_the_about_excerpt(app):
    assert introductions.about_excerpt(None) == ""
    assert introductions.about_excerpt("\n\n  One  \n\nTwo\nThree\nFour\nFive") == (
        "One\nTwo\nThree\nFour"
    )
    long = ("word " * 200).strip()
    excerpt = introductions.about_excerpt(long)
    assert len(excerpt) <= 400 and excerpt.endswith("…") and "wor…" not in excerpt


@pytest.mark.redis
class TestThroughRQ:
    @pytest.fixture
    def app_config(self, app_config, redis_url):
        app_config["REDIS_URL"] = redis_url
        return app_config

    def test_the_job_runs_on_a_worker_and_a_second_run_sends_nothing(
        self, app, pair, make_request, mailbox
    ):
        ann, vic = pair
        queue = Queue(app.config["RQ_QUEUE"], connection=app.extensions["kindred_redis"])
        match = accept(ann, answer(vic, make_request(ann)))

        [job] = [j for j in queue.jobs if j.args[0] == SEND_INTRODUCTIONS]
        assert job.args == (SEND_INTRODUCTIONS, match.id)
        assert all_introductions(mailbox) == []  # on the queue, not run here
        assert reload(match).introduced_at is None

        run_worker(app)  # the introductions, then the emails they queued
        job.refresh()
        assert job.return_value() is True
        assert len(introductions_to(mailbox, "ann@example.com")) == 1
        assert len(introductions_to(mailbox, "vic@example.com")) == 1
        assert reload(match).introduced_at is not None

        again = queue.enqueue(jobs.run_job, SEND_INTRODUCTIONS, match.id)
        run_worker(app)
        again.refresh()
        assert again.return_value() is False
        assert len(all_introductions(mailbox)) == 2
        assert len(notifications_of(ann, "match_made")) == 1
        assert len(notifications_of(vic, "match_made")) == 1
        assert queue.count == 0
