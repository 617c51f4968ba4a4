"""Asks: a new request is told to the best few volunteers, fairly, with links
to say "not for me" or to pause; the requester sees it working, in words.

Time is a controllable clock: the asks module's ``utcnow`` reads ``clock.now``
(the engine and capacity keep the real month), and a signed link's age is
moved by moving the signer's clock back, as the keep-open tests do.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from community import blocking
from community.db import db, utcnow
from community.helping import answers, asks, matching, offers, requests
from community.helping.models import AskOutcome, HelpRequest, RequestAsk, VolunteerOffer
from community.notifications.kinds import DAILY, OFF
from community.notifications.service import set_preference
from tests.builders import notifications_of, reload, skill_ids

NOVEL = "A 90k-word epic fantasy about a lighthouse keeper; looking for pacing notes."


@pytest.fixture
def settings() -> dict:
    return {"ASKS_PER_REQUEST": 2, "ASKS_PER_WEEK": 3, "ASK_AGAIN_AFTER_HOURS": 48}


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, **amount) -> None:
        self.now += timedelta(**amount)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(asks, "utcnow", lambda: moving.now)
    return moving


def asked(request) -> list[int]:
    """Who was asked about ``request``, in the order of the asks."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(RequestAsk.volunteer_id)
            .where(RequestAsk.request_id == request.id)
            .order_by(RequestAsk.id)
        )
    )


def set_cap(user, per_week: int) -> None:
    db.session.get(VolunteerOffer, user.id).asks_per_week = per_week
    db.session.commit()


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def crew(make_volunteer):
    """Three volunteers for a fantasy beta read, best first (by the engine)."""
    vic = make_volunteer(
        "Vic Best",
        "beta-reading",
        email="vic@example.com",
        genres=["fantasy"],
        about="I love epic fantasy and lighthouse stories; pacing is my thing.",
    )
    bea = make_volunteer("Bea Second", "beta-reading", email="bea@example.com", genres=["fantasy"])
    cal = make_volunteer("Cal Third", "beta-reading", email="cal@example.com")
    return vic, bea, cal


# --- who is asked ------------------------------------------------------------------


def test_the_best_few_by_the_engine_are_asked_with_reasons_and_links(
    app, clock, ann, crew, make_request, mailbox
):
    vic, bea, cal = crew
    request = make_request(ann, title="Beta readers for my fantasy novel")

    best = [s.volunteer.id for s in matching.suggest_volunteers(reload(request))]
    assert asked(request) == best[:2] == [vic.id, bea.id]
    assert reload(request).asks_round == 1

    [notice] = notifications_of(vic, "request_ask")
    message = notice.data["reasons"]
    assert "beta reading and fantasy in common" in message
    assert "you have 2 places free this month" in message
    [email] = mailbox.to("vic@example.com")
    text = mailbox.text(email)
    assert "Beta readers for my fantasy novel" in text
    assert f"/requests/{request.id}" in text
    assert len(re.findall(r"http://kindred\.test/asks/\S+", text)) == 2
    assert notifications_of(cal, "request_ask") == []


@pytest.mark.parametrize("delivery", [DAILY, OFF])
def test_asks_honour_the_notification_preference(
    app, clock, ann, crew, make_request, mailbox, delivery
):
    vic, _bea, _cal = crew
    set_preference(vic.id, "request_ask", delivery)
    db.session.commit()
    make_request(ann)
    [notice] = notifications_of(vic, "request_ask")
    assert notice.delivery == delivery
    assert mailbox.to("vic@example.com") == []


def test_who_is_never_asked(app, clock, make_user, make_volunteer, make_request):
    ann = make_user(display_name="Ann Asker")
    good = make_volunteer("Good Helper", "beta-reading")
    offers.save_offer(ann, offers.OfferInput(skill_ids("beta-reading"), [], 2, "", False))
    db.session.commit()
    resting = make_volunteer("On Break", "beta-reading", on_break=True)
    full = make_volunteer("At Capacity", "beta-reading", capacity=1)
    assert offers.take_capacity(full.id)
    blocked = make_volunteer("Blocked By Ann", "beta-reading")
    blocker = make_volunteer("Blocks Ann", "beta-reading")
    blocking.block(ann, blocked)
    blocking.block(blocker, ann)
    unverified = make_volunteer("Not Verified", "beta-reading")
    unverified.email_verified_at = None
    no_asks = make_volunteer("No Asks Please", "beta-reading")
    db.session.commit()
    set_cap(no_asks, 0)
    app.config["ASKS_PER_REQUEST"] = 10

    request = make_request(ann)

    never = {ann, resting, full, blocked, blocker, unverified, no_asks}
    assert asked(request) == [good.id]
    assert len(never) == 7


# --- the weekly cap and rotation ---------------------------------------------------


def test_the_weekly_cap_sends_the_rest_to_the_next_best(app, clock, ann, crew, make_request):
    vic, bea, _cal = crew
    app.config["ASKS_PER_REQUEST"] = 1
    set_cap(vic, 2)

    first = make_request(ann, title="Beta readers for chapter one")
    clock.advance(hours=1)
    second = make_request(ann, title="Beta readers for chapter two")
    clock.advance(hours=1)
    third = make_request(ann, title="Beta readers for chapter three")
    assert [asked(first), asked(second), asked(third)] == [[vic.id], [vic.id], [bea.id]]

    clock.advance(days=7)  # the first two asks leave Vic's week
    fourth = make_request(ann, title="Beta readers for chapter four")
    assert asked(fourth) == [vic.id]


def test_not_for_me_lowers_a_volunteer_for_similar_requests(app, clock, ann, crew, make_request):
    vic, bea, _cal = crew
    app.config["ASKS_PER_REQUEST"] = 1
    first = make_request(ann, title="Beta readers for chapter one")
    [ask] = db.session.scalars(select(RequestAsk).where(RequestAsk.request_id == first.id))
    assert ask.volunteer_id == vic.id

    asks.not_for_me(asks.ask_token(ask, asks.NOT_FOR_ME))
    db.session.commit()
    assert reload(ask).outcome == AskOutcome.NOT_FOR_ME

    second = make_request(ann, title="Beta readers for chapter two")
    assert asked(second) == [bea.id]


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stream=st.lists(
        st.tuples(
            st.sampled_from(["beta-reading", "critique", "query-letters"]),
            st.integers(min_value=0, max_value=60),  # hours after the previous request
        ),
        min_size=1,
        max_size=10,
    )
)
def test_no_volunteer_is_asked_past_the_cap_and_suitable_requests_reach_someone(
    app, clock, make_user, make_volunteer, stream
):
    """Over a generated stream of requests: nobody is asked more than their cap
    in any seven days, nobody twice about one request, never the requester;
    and each request is told to as many suitable volunteers with room under
    their cap as there are (up to ASKS_PER_REQUEST): so any request with a
    suitable volunteer reaches some."""
    app.config["ASKS_PER_REQUEST"] = 2
    pool = getattr(app, "_asks_pool", None)
    if pool is None:
        requesters = [make_user(), make_user()]
        caps = {}
        for name, skills, cap in (
            ("Vee", ("beta-reading", "critique"), 2),
            ("Wes", ("beta-reading",), 1),
            ("Xan", ("critique",), 3),
            ("Yu", ("beta-reading", "query-letters"), 2),
        ):
            volunteer = make_volunteer(name, *skills, capacity=20)
            set_cap(volunteer, cap)
            caps[volunteer.id] = (set(skill_ids(*skills)), cap)
        # The first requester volunteers too: never asked about their own requests.
        offers.save_offer(
            requesters[0], offers.OfferInput(skill_ids("critique"), [], 20, "", False)
        )
        db.session.commit()
        set_cap(requesters[0], 3)
        caps[requesters[0].id] = (set(skill_ids("critique")), 3)
        pool = app._asks_pool = (requesters, caps)
    requesters, caps = pool
    clock.advance(days=100)  # each example is a world of its own, weeks apart

    history: list[tuple] = []  # (volunteer id, asked at) of this example
    for number, (skill, hours) in enumerate(stream):
        clock.advance(hours=hours)
        requester = requesters[number % 2]
        posted = requests.post_request(
            requester,
            requests.RequestInput(
                f"Help wanted, number {number}",
                NOVEL,
                skill_ids(skill),
                None,
                "written",
                "",
                None,
                1,
            ),
        )
        db.session.commit()  # the first round runs now, after the commit
        skill_id = skill_ids(skill)[0]
        suitable = [
            volunteer_id
            for volunteer_id, (skill_set, cap) in caps.items()
            if skill_id in skill_set
            and volunteer_id != requester.id
            and sum(1 for who, at in history if who == volunteer_id and at > clock.now - asks.WEEK)
            < cap
        ]
        told = asked(posted)
        assert len(told) == len(set(told)) == min(2, len(suitable))
        assert set(told) <= set(suitable)
        history += [(volunteer_id, clock.now) for volunteer_id in told]

    for volunteer_id, (_skills, cap) in caps.items():
        moments = [at for who, at in history if who == volunteer_id]
        for end in moments:
            assert sum(1 for at in moments if end - asks.WEEK < at <= end) <= cap


# --- the second round --------------------------------------------------------------


def test_a_second_round_goes_to_the_next_best_when_nobody_answers(
    app, clock, ann, crew, make_request
):
    vic, bea, cal = crew
    app.config["ASKS_PER_REQUEST"] = 1
    request = make_request(ann)
    assert asked(request) == [vic.id]

    clock.advance(hours=47)
    assert asks.ask_again() == 0
    clock.advance(hours=2)
    assert asks.ask_again() == 1
    assert asked(request) == [vic.id, bea.id]
    assert reload(request).asks_round == 2

    # Run twice (a job may be): nobody is asked again, nor twice.
    assert asks.ask_again() == 0
    assert asks.ask_volunteers(request.id, 1) == 0
    assert asks.ask_volunteers(request.id, 2) == 0
    assert asked(request) == [vic.id, bea.id]
    assert notifications_of(cal, "request_ask") == []


def test_a_first_round_whose_job_was_lost_is_swept_up(app, clock, ann, crew, make_request):
    app.config["ASKS_PER_REQUEST"] = 0  # as if the job never ran
    request = make_request(ann)
    app.config["ASKS_PER_REQUEST"] = 2
    assert asked(request) == []
    assert asks.ask_summary(reload(request)).startswith("We are choosing the volunteers")

    clock.now = reload(request).created_at + timedelta(minutes=9)
    assert asks.ask_again() == 0
    clock.advance(minutes=2)
    assert asks.ask_again() == 2
    assert asked(request) == [crew[0].id, crew[1].id]
    assert reload(request).asks_round == 1

    old = make_request(ann, title="Posted before asks began")
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == old.id)
        .values(asks_round=0, created_at=clock.now - timedelta(days=2))
    )
    db.session.commit()
    assert asks.ask_again() == 0
    assert asks.ask_summary(reload(old)) is None


def test_no_second_round_once_someone_offers(app, clock, ann, crew, make_request):
    _vic, _bea, cal = crew
    request = make_request(ann)
    answers.answer_request(cal, reload(request), "I would love to read it.")
    db.session.commit()
    clock.advance(hours=49)
    assert asks.ask_again() == 0
    assert reload(request).asks_round == 1


# --- the one-click links -----------------------------------------------------------


@pytest.fixture
def vic_ask(app, clock, ann, crew, make_request):
    request = make_request(ann)
    return db.session.scalar(
        select(RequestAsk).where(
            RequestAsk.request_id == request.id, RequestAsk.volunteer_id == crew[0].id
        )
    )


def test_the_asked_volunteer_finds_the_links_on_the_request_page(app, client, auth, vic_ask):
    auth.login("vic@example.com")
    page = client.get(f"/requests/{vic_ask.request_id}").get_data(as_text=True)
    [not_for_me] = re.findall(r'href="(/asks/[^"]+)">Not for me', page)
    assert client.post(not_for_me).status_code == 200
    assert reload(vic_ask).outcome == AskOutcome.NOT_FOR_ME
    page = client.get(f"/requests/{vic_ask.request_id}").get_data(as_text=True)
    assert "Not for me" not in page  # answered: the links go
    auth.logout()
    auth.login("cal@example.com")  # not asked: no links
    assert "/asks/" not in client.get(f"/requests/{vic_ask.request_id}").get_data(as_text=True)


def test_not_for_me_needs_no_login(app, client, vic_ask):
    link = f"/asks/{asks.ask_token(vic_ask, asks.NOT_FOR_ME)}"
    page = client.get(link)
    assert page.status_code == 200 and "Not for you?" in page.get_data(as_text=True)
    assert reload(vic_ask).outcome == AskOutcome.ASKED  # GET asks, changes nothing
    done = client.post(link)
    assert done.status_code == 200 and "Thank you for saying so" in done.get_data(as_text=True)
    assert reload(vic_ask).outcome == AskOutcome.NOT_FOR_ME


def test_pause_me_until_a_day_then_the_break_ends(app, client, clock, crew, vic_ask):
    vic = crew[0]
    link = f"/asks/{asks.ask_token(vic_ask, asks.PAUSE)}"
    assert 'name="until"' in client.get(link).get_data(as_text=True)
    assert client.post(link, data={"until": "not a day"}).status_code == 400
    yesterday = (clock.now - timedelta(days=1)).date().isoformat()
    refused = client.post(link, data={"until": yesterday})
    assert refused.status_code == 400 and "from tomorrow" in refused.get_data(as_text=True)
    assert not reload(db.session.get(VolunteerOffer, vic.id)).on_break

    until = (clock.now + timedelta(days=10)).date()
    done = client.post(link, data={"until": until.isoformat()})
    assert done.status_code == 200 and "Your offer is paused" in done.get_data(as_text=True)
    offer = reload(db.session.get(VolunteerOffer, vic.id))
    assert offer.on_break and offer.break_until == until
    assert reload(vic_ask).outcome == AskOutcome.PAUSED
    assert matching.suggest_volunteers(vic_ask.request) and vic.id not in {
        s.volunteer.id for s in matching.suggest_volunteers(reload(vic_ask.request))
    }

    assert asks.end_breaks(until - timedelta(days=1)) == 0
    assert asks.end_breaks(until) == 1
    offer = reload(offer)
    assert not offer.on_break and offer.break_until is None


def test_an_expired_link_is_refused_and_changes_nothing(app, client, vic_ask, monkeypatch):
    age = timedelta(days=app.config["ASK_LINK_DAYS"], minutes=1).total_seconds()
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - age)
    token = asks.ask_token(vic_ask, asks.NOT_FOR_ME)
    monkeypatch.setattr("itsdangerous.timed.time.time", real_time)

    for answer in (client.get(f"/asks/{token}"), client.post(f"/asks/{token}")):
        assert answer.status_code == 404
        assert "This link has expired" in answer.get_data(as_text=True)
    assert reload(vic_ask).outcome == AskOutcome.ASKED


def test_tampered_and_foreign_links_are_refused(app, client, auth, crew, vic_ask):
    token = asks.ask_token(vic_ask, asks.PAUSE)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_salt = requests.keep_open_token(reload(vic_ask).request)
    for bad in (tampered, other_salt, "not-a-token"):
        answer = client.post(f"/asks/{bad}", data={"until": "2099-01-01"})
        assert answer.status_code == 404
        assert "This link is not valid" in answer.get_data(as_text=True)

    auth.login("bea@example.com")  # Vic's link, opened by Bea
    answer = client.post(f"/asks/{token}", data={"until": _in_days(5)})
    assert answer.status_code == 404
    assert "sent to another member" in answer.get_data(as_text=True)
    assert not reload(db.session.get(VolunteerOffer, crew[0].id)).on_break
    assert reload(vic_ask).outcome == AskOutcome.ASKED


def _in_days(days: int) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


# --- the offer page and the request page -------------------------------------------


def test_the_offer_page_sets_how_many_asks_a_week(app, client, auth, crew):
    auth.login("vic@example.com")
    page = client.get("/offer").get_data(as_text=True)
    assert "How many asks a week" in page and 'value="3"' in page
    form = {"skills": ["beta-reading"], "monthly_capacity": "2", "note": ""}
    assert client.post("/offer", data={**form, "asks_per_week": "1"}).status_code == 302
    assert reload(db.session.get(VolunteerOffer, crew[0].id)).asks_per_week == 1
    for wrong in ("21", "-1", "lots"):
        answer = client.post("/offer", data={**form, "asks_per_week": wrong})
        assert answer.status_code == 400
        assert "Choose between 0 and 20 asks a week." in answer.get_data(as_text=True)
    assert reload(db.session.get(VolunteerOffer, crew[0].id)).asks_per_week == 1


def test_the_request_page_tells_its_author_in_words(
    app, client, auth, clock, ann, crew, make_request
):
    request = make_request(ann)
    auth.login("ann@example.com")
    page = client.get(f"/requests/{request.id}").get_data(as_text=True)
    due = reload(request).asked_at + timedelta(hours=48)
    assert "We have told 2 suitable volunteers about your request." in page
    assert f"If nobody offers by {due:%-d %B}, we will tell up to 2 more then." in page
    summary = re.search(r'<p class="ask-summary"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert not any(volunteer.display_name in summary for volunteer in crew)

    clock.advance(hours=49)
    asks.ask_again()
    page = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "We have told 3 suitable volunteers about your request." in page
    assert "That was our last round" in page

    auth.logout()
    auth.login("bea@example.com")
    assert "suitable volunteers" not in client.get(f"/requests/{request.id}").get_data(as_text=True)


def test_the_request_page_says_when_nobody_suits_yet(app, client, auth, ann, make_request):
    request = make_request(ann)
    assert db.session.get(HelpRequest, request.id).asks_round == 1
    auth.login("ann@example.com")
    page = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "No volunteer with room this month suits your request yet." in page
