"""Expiry of quiet requests: the reminder a few days before, expiry itself, and the
one-click "keep it open" link; through the functions and the ``flask jobs`` CLI."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import update

from community.db import db, utcnow
from community.helping import matches, requests
from community.helping.errors import NotFound
from community.helping.models import Answer, HelpRequest, RequestStatus
from community.mail.unsubscribe import make_unsubscribe_token
from tests.builders import accept, answer, notifications_of, reload


def expiry(app) -> timedelta:
    return timedelta(days=app.config["REQUEST_EXPIRY_DAYS"])


def remind_after(app) -> timedelta:
    """How long a request may be quiet before its reminder goes out."""
    return expiry(app) - timedelta(days=app.config["REQUEST_REMINDER_DAYS"])


def quiet_for(request, quiet: timedelta) -> None:
    """The request's last activity was ``quiet`` ago."""
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id)
        .values(last_activity_at=utcnow() - quiet)
    )
    db.session.commit()


def keep_open_link(notice) -> str:
    """The link the notification's email carries (tokens hold their time, so
    one made now would differ)."""
    return f"http://kindred.test/requests/keep-open/{notice.data['token']}"


def invoke(app, name: str) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", name])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_the_defaults(app):
    assert app.config["REQUEST_EXPIRY_DAYS"] == 30
    assert 0 < app.config["REQUEST_REMINDER_DAYS"] < 30


# --- the reminder --------------------------------------------------------------------


def test_no_reminder_before_its_time(app, make_user, make_request, mailbox):
    request = make_request(make_user())
    quiet_for(request, remind_after(app) - timedelta(hours=1))
    assert requests.send_expiry_reminders() == 0
    assert reload(request).reminder_sent_at is None
    assert mailbox.messages() == []


def test_one_reminder_with_a_keep_open_link(app, make_user, make_request, mailbox):
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    quiet_for(request, remind_after(app) + timedelta(minutes=5))

    assert requests.send_expiry_reminders() == 1
    request = reload(request)
    assert request.reminder_sent_at is not None
    assert request.status == RequestStatus.OPEN  # only a reminder

    [notice] = notifications_of(ann, "request_expiring")
    assert notice.data["request_id"] == request.id
    assert notice.data["title"] == "Pacing notes on my lighthouse novel"
    assert requests.keep_open(ann, notice.data["token"]).id == request.id
    db.session.rollback()
    expires_on = (request.last_activity_at + expiry(app)).date()
    assert notice.data["expires_on"] == f"{expires_on.day} {expires_on:%B}"

    [message] = mailbox.to("ann@example.com")
    text = mailbox.text(message)
    assert "Pacing notes on my lighthouse novel" in text
    assert notice.data["expires_on"] in text
    assert keep_open_link(notice) in text

    # Not twice for the same quiet spell.
    assert requests.send_expiry_reminders() == 0
    assert len(mailbox.messages()) == 1
    assert len(notifications_of(ann, "request_expiring")) == 1


def test_a_new_reminder_after_new_activity(app, make_user, make_volunteer, make_request, mailbox):
    ann = make_user(email="ann@example.com")
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    quiet_for(request, remind_after(app) + timedelta(minutes=5))
    assert requests.send_expiry_reminders() == 1

    answer(vic, reload(request))  # activity: the clock starts again
    request = reload(request)
    assert request.reminder_sent_at is None
    assert utcnow() - request.last_activity_at < timedelta(minutes=1)
    assert requests.send_expiry_reminders() == 0

    quiet_for(request, remind_after(app) + timedelta(minutes=5))
    assert requests.send_expiry_reminders() == 1
    assert len(notifications_of(ann, "request_expiring")) == 2
    assert len([m for m in mailbox.to("ann@example.com") if "closes on" in mailbox.text(m)]) == 2


def test_only_open_requests_are_reminded(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    matched = make_request(ann, title="A matched request")
    accept(ann, answer(vic, matched))
    closed = make_request(ann, title="A closed request")
    requests.close_request(ann, closed)
    db.session.commit()
    for request in (matched, closed):
        quiet_for(request, remind_after(app) + timedelta(minutes=5))
    assert requests.send_expiry_reminders() == 0
    assert notifications_of(ann, "request_expiring") == []


def test_no_reminder_once_past_expiry(app, make_user, make_request):
    """Quiet for longer than the whole expiry: it expires, without a late reminder."""
    ann = make_user()
    request = make_request(ann)
    quiet_for(request, expiry(app) + timedelta(days=1))
    assert requests.send_expiry_reminders() == 0
    assert requests.expire_requests() == 1
    assert notifications_of(ann, "request_expiring") == []
    assert reload(request).status == RequestStatus.EXPIRED


# --- expiry -----------------------------------------------------------------------------


def test_a_request_expires_after_the_quiet_period(app, make_user, make_request, mailbox):
    ann = make_user(email="ann@example.com")
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    quiet_for(request, expiry(app) - timedelta(minutes=5))
    assert requests.expire_requests() == 0
    assert reload(request).status == RequestStatus.OPEN

    quiet_for(request, expiry(app) + timedelta(minutes=5))
    assert requests.expire_requests() == 1
    request = reload(request)
    assert request.status == RequestStatus.EXPIRED and request.ended_at is not None
    [notice] = notifications_of(ann, "request_expired")
    assert notice.data["request_id"] == request.id
    [message] = mailbox.to("ann@example.com")
    text = mailbox.text(message)
    assert "Pacing notes on my lighthouse novel" in text
    assert keep_open_link(notice) in text  # one click opens it again

    assert requests.expire_requests() == 0  # once
    assert len(notifications_of(ann, "request_expired")) == 1
    assert requests.board_page(requests.BoardFilters()).items == []


def test_matched_and_ended_requests_do_not_expire(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    matched = make_request(ann, title="A matched request")
    accept(ann, answer(vic, matched))
    closed = make_request(ann, title="A closed request")
    requests.close_request(ann, closed)
    db.session.commit()
    for request in (matched, closed):
        quiet_for(request, expiry(app) * 3)
    assert requests.expire_requests() == 0
    assert reload(matched).status == RequestStatus.MATCHED
    assert reload(closed).status == RequestStatus.CLOSED


# --- keep it open -------------------------------------------------------------------------


def test_keep_open_restarts_the_clock(app, make_user, make_request):
    ann = make_user()
    request = make_request(ann)
    quiet_for(request, remind_after(app) + timedelta(days=1))
    assert requests.send_expiry_reminders() == 1
    token = requests.keep_open_token(reload(request))

    kept = requests.keep_open(ann, token)
    db.session.commit()
    assert kept.id == request.id
    request = reload(request)
    assert request.status == RequestStatus.OPEN
    assert utcnow() - request.last_activity_at < timedelta(minutes=1)
    assert request.reminder_sent_at is None
    assert requests.send_expiry_reminders() == 0
    assert requests.expire_requests() == 0

    # Idempotent: clicking twice is fine.
    requests.keep_open(ann, token)
    db.session.commit()
    assert reload(request).status == RequestStatus.OPEN


def test_keep_open_reopens_an_expired_request(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann, helpers=2)
    accept(ann, answer(vic, request))  # one place of two taken
    quiet_for(request, expiry(app) + timedelta(days=2))
    assert requests.expire_requests() == 1
    assert reload(request).status == RequestStatus.EXPIRED

    requests.keep_open(ann, requests.keep_open_token(reload(request)))
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.OPEN and request.ended_at is None
    assert request.places_left == 1
    assert utcnow() - request.last_activity_at < timedelta(minutes=1)
    assert [r.id for r in requests.board_page(requests.BoardFilters()).items] == [request.id]


def test_keep_open_leaves_a_closed_request_closed(app, make_user, make_request):
    ann = make_user()
    request = make_request(ann)
    requests.close_request(ann, request)
    db.session.commit()
    requests.keep_open(ann, requests.keep_open_token(reload(request)))
    db.session.commit()
    assert reload(request).status == RequestStatus.CLOSED


def test_a_bad_keep_open_token_is_not_found(app, make_user, make_request):
    ann = make_user()
    request = make_request(ann)
    good = requests.keep_open_token(request)
    other_secret = URLSafeTimedSerializer("another-secret", salt="kindred.keep-open")
    same_secret = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="kindred.keep-open")
    untimed = URLSafeSerializer(app.config["SECRET_KEY"], salt="kindred.keep-open")
    link = {"r": request.id, "u": ann.id}
    bad_tokens = [
        "",
        "not-a-token",
        good[:-2],
        good + "x",
        other_secret.dumps(link),
        make_unsubscribe_token(ann.id, "welcome"),  # another of the site's signed tokens
        same_secret.dumps({"r": request.id + 1000, "u": ann.id}),  # no such request
        same_secret.dumps({"r": str(request.id), "u": ann.id}),
        same_secret.dumps({"r": 2**40, "u": ann.id}),
        same_secret.dumps([request.id]),
        same_secret.dumps(request.id),  # the old, unbound form
        untimed.dumps(link),  # no timestamp
    ]
    for token in bad_tokens:
        with pytest.raises(NotFound):
            requests.keep_open(ann, token)
        db.session.rollback()
    assert requests.keep_open(ann, good).id == request.id


# --- the periodic jobs, from the command line -------------------------------------------


def test_the_jobs_run_from_the_cli(app, make_user, make_request, mailbox):
    ann = make_user(email="ann@example.com")
    soon = make_request(ann, title="Closing soon, a quiet novel")
    stale = make_request(ann, title="Long quiet, an old novel")
    quiet_for(soon, remind_after(app) + timedelta(hours=2))
    quiet_for(stale, expiry(app) + timedelta(hours=2))

    assert invoke(app, "remind-expiring-requests") == "remind-expiring-requests: 1"
    assert invoke(app, "remind-expiring-requests") == "remind-expiring-requests: 0"
    assert invoke(app, "expire-requests") == "expire-requests: 1"
    assert invoke(app, "expire-requests") == "expire-requests: 0"

    assert reload(soon).status == RequestStatus.OPEN and reload(soon).reminder_sent_at
    assert reload(stale).status == RequestStatus.EXPIRED
    assert [n.data["request_id"] for n in notifications_of(ann, "request_expiring")] == [soon.id]
    assert [n.data["request_id"] for n in notifications_of(ann, "request_expired")] == [stale.id]
    assert len(mailbox.to("ann@example.com")) == 2


def test_expiry_does_not_overwrite_a_match_made_at_the_same_moment(
    app, make_user, make_volunteer, make_request
):
    """The job read the request as open and quiet; meanwhile its requester accepts
    an old offer. Expiring must re-check in the database, not write what it read."""
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    answer_id = answer(vic, request).id
    quiet_for(request, expiry(app) + timedelta(hours=1))
    writing = threading.Event()

    def accept_slowly():
        with app.app_context():
            made = db.session.get(Answer, answer_id)
            matches.accept_answer(made.request.requester, made)  # the row is being written
            writing.set()
            time.sleep(1)
            db.session.commit()

    thread = threading.Thread(target=accept_slowly)
    thread.start()
    assert writing.wait(10)
    expired = requests.expire_requests()
    thread.join(30)

    assert reload(request).status == RequestStatus.MATCHED
    assert expired == 0
    assert notifications_of(ann, "request_expired") == []
