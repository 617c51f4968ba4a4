"""The weekly digest of requests that fit: who gets it, what is in it (capped,
nothing seen before), none when nothing fits, never twice in a week, and a
fixed number of queries per volunteer.

Time is a controllable clock: the job takes ``now``, and the tests move it a
day or a week at a time.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from community import blocking
from community.db import db, utcnow
from community.helping import answers, fitting, matching, offers
from community.helping.models import RequestAsk, RequestDigest, RequestDigestItem
from community.moderation.models import HiddenItem
from community.notifications import service
from community.notifications.kinds import DAILY, KINDS, OFF, USUAL_DELIVERIES, WEEKLY
from tests.builders import notifications_of, reload

FIT = fitting.KIND


def weekly(*users) -> None:
    for user in users:
        service.set_preference(user.id, FIT, WEEKLY)
    db.session.commit()


def run(now) -> int:
    sent = fitting.send_weekly_digests(now)
    db.session.expire_all()
    return sent


def titles_in(mailbox, address: str) -> list[list[str]]:
    """The request titles of each digest sent to ``address``, in order."""
    found = []
    for email in mailbox.to(address):
        if "that fit you this week" not in email["Subject"]:
            continue  # an ask
        text = mailbox.text(email)
        found.append(re.findall(r"^- (.+)$", text, flags=re.MULTILINE))
    return found


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def vic(make_volunteer):
    return make_volunteer(
        "Vic Reader",
        "beta-reading",
        email="vic@example.com",
        genres=["fantasy"],
        about="Epic fantasy and lighthouse stories; pacing is my thing.",
    )


# --- who gets it, and what is in it ---------------------------------------------


def test_a_volunteer_who_chose_it_gets_the_requests_that_fit_with_reasons_and_links(
    app, ann, vic, make_volunteer, make_request, mailbox
):
    bea = make_volunteer("Bea Default", "beta-reading", email="bea@example.com")
    weekly(vic)
    first = make_request(ann, title="Beta readers for my lighthouse fantasy")
    second = make_request(ann, "critique", title="A critique of my query letter", genre=None)
    third = make_request(ann, title="Beta readers for a fantasy sequel")

    assert run(utcnow()) == 1

    [email] = mailbox.to("vic@example.com")
    assert email["Subject"] == "2 open requests that fit you this week"
    text = mailbox.text(email)
    [shown] = titles_in(mailbox, "vic@example.com")
    assert sorted(shown) == sorted([first.title, third.title])
    assert "Why you: beta reading and fantasy in common" in text
    assert f"/requests/{first.id}" in text and f"/requests/{third.id}" in text
    assert f"/requests/{second.id}" not in text  # critique is not what Vic offers
    assert "/notifications/preferences" in text and "/offer" in text
    assert email["List-Unsubscribe"]
    # On the site too, without a second email.
    [notice] = notifications_of(vic, FIT)
    assert notice.delivery == WEEKLY and notice.data["count"] == 2
    assert mailbox.to("bea@example.com") == []  # the digest is off unless chosen
    assert notifications_of(bea, FIT) == []
    [digest] = db.session.scalars(select(RequestDigest).where(RequestDigest.volunteer_id == vic.id))
    assert digest.request_count == 2


def test_the_digest_is_capped_to_the_best_and_the_rest_come_next_week(
    app, ann, vic, make_request, mailbox
):
    app.config["WEEKLY_DIGEST_REQUESTS"] = 2
    weekly(vic)
    posted = [
        make_request(ann, title=title)
        for title in (
            "Beta readers, part one",
            "Beta readers, part two",
            "Beta readers, part three",
        )
    ]
    now = utcnow()

    assert run(now) == 1
    [first] = titles_in(mailbox, "vic@example.com")
    assert len(first) == 2

    assert run(now + timedelta(days=7, minutes=1)) == 1
    [_, second] = titles_in(mailbox, "vic@example.com")
    assert second == [title for title in (r.title for r in posted) if title not in first]

    assert run(now + timedelta(days=14, minutes=2)) == 0  # everything has been shown
    assert len(mailbox.to("vic@example.com")) == 2


def test_nothing_already_seen_answered_hidden_own_or_blocked_is_in_it(
    app, ann, vic, make_user, make_volunteer, make_request, mailbox
):
    weekly(vic)
    bob = make_user(display_name="Bob Blocked")
    cat = make_user(display_name="Cat Blocker")
    dan = make_user(display_name="Dan Unverified")
    eve = make_user(display_name="Eve Moderated")
    fay = make_user(display_name="Fay Asked")
    gus = make_user(display_name="Gus Answered")
    fresh = make_request(ann, title="Fresh: beta readers wanted")
    make_request(bob, title="Blocked by Vic")
    make_request(cat, title="Blocks Vic")
    make_request(dan, title="From an unverified member")
    hidden = make_request(eve, title="Hidden by a moderator")
    app.config["ASKS_PER_REQUEST"] = 5
    make_request(fay, title="Already asked about")
    app.config["ASKS_PER_REQUEST"] = 0
    answered = make_request(gus, title="Already answered")
    answers.answer_request(vic, answered, "I would love to read it.")
    make_request(vic, title="Vic's own request")
    blocking.block(vic, bob)
    blocking.block(cat, vic)
    dan.email_verified_at = None
    db.session.add(HiddenItem(item_type="request", item_id=hidden.id, user_id=eve.id))
    db.session.commit()
    assert db.session.scalar(select(RequestAsk.volunteer_id)) == vic.id

    assert run(utcnow()) == 1
    assert titles_in(mailbox, "vic@example.com") == [[fresh.title]]


def test_none_when_nothing_fits_and_the_volunteer_is_looked_at_again_a_week_later(
    app, ann, vic, make_request, mailbox
):
    weekly(vic)
    make_request(ann, "critique", title="A critique, not a beta read", genre=None)
    now = utcnow()

    assert run(now) == 0
    assert mailbox.to("vic@example.com") == []
    assert notifications_of(vic, FIT) == []
    [looked] = db.session.scalars(select(RequestDigest).where(RequestDigest.volunteer_id == vic.id))
    assert looked.request_count == 0

    make_request(ann, title="Beta readers, at last")
    assert run(now + timedelta(days=3)) == 0  # looked at this week already
    assert run(now + timedelta(days=7, minutes=1)) == 1
    assert titles_in(mailbox, "vic@example.com") == [["Beta readers, at last"]]


def test_never_twice_in_a_week_even_when_run_again(app, ann, vic, make_request, mailbox):
    weekly(vic)
    make_request(ann, title="Beta readers, first week")
    now = utcnow()
    assert run(now) == 1
    assert run(now) == 0

    make_request(ann, title="Beta readers, posted the next day")
    assert run(now + timedelta(days=1)) == 0
    assert run(now + timedelta(days=6, hours=23)) == 0
    assert run(now + timedelta(days=7, minutes=1)) == 1
    assert titles_in(mailbox, "vic@example.com") == [
        ["Beta readers, first week"],
        ["Beta readers, posted the next day"],
    ]
    items = db.session.scalars(
        select(RequestDigestItem).where(RequestDigestItem.volunteer_id == vic.id)
    ).all()
    assert len(items) == 2


def test_who_gets_nothing(app, ann, make_user, make_volunteer, make_request, mailbox):
    resting = make_volunteer("On Break", "beta-reading", email="rest@example.com", on_break=True)
    full = make_volunteer("At Capacity", "beta-reading", email="full@example.com", capacity=1)
    assert offers.take_capacity(full.id)
    unverified = make_volunteer("Not Verified", "beta-reading", email="unverified@example.com")
    unverified.email_verified_at = None
    suspended = make_volunteer("Suspended", "beta-reading", email="suspended@example.com")
    suspended.suspended_until = utcnow() + timedelta(days=30)
    no_offer = make_user(email="nooffer@example.com", display_name="No Offer")
    db.session.commit()
    weekly(resting, full, unverified, suspended, no_offer)
    make_request(ann, title="Beta readers for my fantasy novel")

    assert run(utcnow()) == 0
    for member in (resting, full, unverified, suspended, no_offer):
        assert mailbox.to(member.email) == []
        assert notifications_of(member, FIT) == []


def test_turning_it_off_stops_it(app, ann, vic, make_request, mailbox):
    weekly(vic)
    service.set_preference(vic.id, FIT, OFF)
    db.session.commit()
    make_request(ann)
    assert run(utcnow()) == 0
    assert mailbox.to("vic@example.com") == []


def test_the_unsubscribe_link_in_the_digest_turns_it_off(
    app, client, ann, vic, make_request, mailbox
):
    weekly(vic)
    make_request(ann)
    assert run(utcnow()) == 1
    [email] = mailbox.to("vic@example.com")
    link = re.search(r"http://kindred\.test(/notifications/unsubscribe/\S+)", mailbox.text(email))
    assert client.post(link.group(1)).status_code == 200
    assert service.delivery_for(vic.id, FIT) == OFF


# --- the cost: a fixed number of queries per volunteer ---------------------------


def test_the_queries_per_volunteer_do_not_grow_with_the_community(
    app, ann, make_volunteer, make_request, count_queries
):
    for n in range(4):
        make_request(ann, title=f"Beta readers wanted, number {n}")
    counts = []
    for size in (2, 4, 6):
        crowd = [
            make_volunteer(f"Volunteer {size}-{i}", "beta-reading", genres=["fantasy"])
            for i in range(size)
        ]
        weekly(*crowd)
        with count_queries() as counter:
            assert run(utcnow()) == size
        counts.append(counter.count)
    per_volunteer = (counts[2] - counts[0]) / 4
    assert counts[2] - counts[1] == counts[1] - counts[0] == 2 * per_volunteer
    assert per_volunteer <= 15


# --- the preference ---------------------------------------------------------------


def test_only_a_weekly_round_up_offers_weekly(app, make_user):
    user = make_user()
    assert KINDS[FIT].deliveries == (WEEKLY, OFF)
    assert service.delivery_for(user.id, FIT) == OFF
    for kind in KINDS.values():
        assert OFF in kind.deliveries and kind.default_delivery in kind.deliveries
        if kind.name != FIT:
            assert kind.deliveries == USUAL_DELIVERIES
    with pytest.raises(ValueError):
        service.set_preference(user.id, "welcome", WEEKLY)
    with pytest.raises(ValueError):
        service.set_preference(user.id, FIT, DAILY)


def test_the_preferences_page_offers_weekly_for_it_and_refuses_what_it_does_not_offer(
    app, client, auth, make_user
):
    user = make_user(email="pat@example.com")
    auth.login("pat@example.com")
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="kind_requests_that_fit" type="radio" value="weekly"' in html
    assert 'name="kind_requests_that_fit" type="radio" value="daily"' not in html
    assert 'name="kind_welcome" type="radio" value="weekly"' not in html

    refused = client.post("/notifications/preferences", data={"kind_requests_that_fit": "daily"})
    assert refused.status_code == 200
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert service.delivery_for(user.id, FIT) == OFF

    saved = client.post("/notifications/preferences", data={"kind_requests_that_fit": "weekly"})
    assert saved.status_code == 302
    assert service.delivery_for(reload(user).id, FIT) == WEEKLY


# --- the same choice as the engine's "best for me" -------------------------------


def test_the_batch_chooses_what_the_engine_suggests_to_each_volunteer(
    app, make_user, make_volunteer, make_request
):
    """fitting_requests() for many volunteers at once gives each the same best
    few, with the same scores and reasons, as suggest_requests() for them alone
    (less what they have seen)."""
    volunteers = [
        make_volunteer("Vic", "beta-reading", genres=["fantasy"], about="lighthouse pacing"),
        make_volunteer("Wes", "beta-reading", "critique", about="query letters and synopses"),
        make_volunteer("Xia", "critique", genres=["romance"], timezone="Asia/Tokyo"),
        make_volunteer("Yan", "query-letters", "critique", profile_genres=["fantasy"]),
    ]
    requesters = [make_user(display_name=f"Requester {n}") for n in range(4)]
    shapes = [
        ("beta-reading",),
        ("critique",),
        ("beta-reading", "critique"),
        ("query-letters",),
        ("critique", "query-letters"),
    ]
    genres = ["fantasy", "romance", None]
    details = [
        "A lighthouse keeper's story; the pacing sags in the middle.",
        "My query letter and synopsis need a critique before I send them.",
        "A romance set in Tokyo, looking for honest notes.",
    ]
    made = []
    for n in range(12):
        made.append(
            make_request(
                requesters[n % 4],
                *shapes[n % len(shapes)],
                title=f"Request number {n}",
                genre=genres[n % 3],
                details=details[n % 3],
                format="live_chat" if n % 4 == 0 else "written",
            )
        )
    answers.answer_request(volunteers[0], made[0], "I would love to help.")
    db.session.commit()

    offers_ = matching.load_offers([v.id for v in volunteers])
    batch = fitting.fitting_requests(offers_, 3, utcnow())
    for volunteer in volunteers:
        alone = matching.suggest_requests(reload(volunteer), limit=3)
        got = batch.get(volunteer.id, [])
        assert [(s.request.id, round(s.score, 9), s.reasons) for s in got] == [
            (s.request.id, round(s.score, 9), s.reasons) for s in alone
        ]
    assert any(len(found) == 3 for found in batch.values())


def test_the_volunteer_page_points_to_the_weekly_email(app, client, auth, vic):
    auth.login("vic@example.com")
    html = client.get("/offer").get_data(as_text=True)
    assert "Open requests that fit you" in html
    assert 'href="/notifications/preferences#kind_requests_that_fit"' in html
