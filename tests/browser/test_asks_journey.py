"""Requests find their helpers, in a real browser: Vic sets up an offer with
two asks a week; three requests that suit Vic are posted; Vic is asked about
two (by email) and the third goes to the next volunteer; Vic says "not for
me" to one from the email, without logging in, and offers to help with the
other from the email's link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from community.accounts.models import User
from community.db import db
from community.helping.models import Answer, AskOutcome, RequestAsk
from tests.builders import make_offer, make_request
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

TITLES = (
    "Beta readers for my lighthouse fantasy",
    "Beta readers for a fantasy about tides",
    "Beta readers for a dragon fantasy",
)
ASK_SUBJECT = "A request that suits you"


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()


def _asks_to(live_server, address: str) -> list[tuple[str, str]]:
    """(subject, text) of each ask emailed to ``address``, in the order sent."""
    found = []
    for message in live_server.mailbox.to(address):
        if message["Subject"].startswith(ASK_SUBJECT):
            found.append((message["Subject"], live_server.mailbox.text(message)))
    return found


def _link(live_server, text: str, pattern: str) -> str:
    found = re.search(rf"{re.escape(live_server.url)}{pattern}", text)
    assert found, f"no link matching {pattern} in the email"
    return found.group(0)


def test_asks_reach_the_best_volunteer_within_their_weekly_cap(page, browser, live_server):
    app = live_server.app
    app.config["ASKS_PER_REQUEST"] = 1  # one volunteer told per request, so rotation shows
    with app.app_context():
        UserFactory(
            email="vic@example.com",
            display_name="Vic Reader",
            profile__about="I love fantasy, lighthouses and the sea.",
        )
        wes = UserFactory(email="wes@example.com", display_name="Wes Next", profile__about="")
        requesters = [
            UserFactory(email=f"{name.lower()}@example.com", display_name=f"{name} Asker")
            for name in ("Ann", "Ben", "Cyd")
        ]
        db.session.flush()
        make_offer(wes, capacity=3)
        requester_ids = [member.id for member in requesters]

    # Vic sets up an offer on the Volunteer page: beta reading, fantasy, two asks a week.
    _log_in(page, "vic@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Volunteer").click()
    expect(page.get_by_role("heading", name="Volunteer")).to_be_visible()
    page.get_by_role("group", name="I can help with").get_by_label("Beta reading").check()
    page.get_by_role("group", name="Genres I like to help with").get_by_label("Fantasy").check()
    page.get_by_label("Requests a month I can take").fill("3")
    page.get_by_label("How many asks a week").fill("2")
    page.get_by_role("button", name="Offer my help").click()
    expect(page.get_by_text("Your offer is saved")).to_be_visible()
    expect(page.get_by_label("How many asks a week")).to_have_value("2")

    # Three requests that suit Vic are posted, one after another.
    with app.app_context():
        for requester_id, title in zip(requester_ids, TITLES, strict=True):
            make_request(db.session.get(User, requester_id), title=title)

    # Vic is asked about the first two, by email; the third goes to Wes.
    vic_asks = _asks_to(live_server, "vic@example.com")
    assert [subject for subject, _ in vic_asks] == [
        f"{ASK_SUBJECT}: {TITLES[0]}",
        f"{ASK_SUBJECT}: {TITLES[1]}",
    ]
    assert [subject for subject, _ in _asks_to(live_server, "wes@example.com")] == [
        f"{ASK_SUBJECT}: {TITLES[2]}"
    ]
    (_, first), (_, second) = vic_asks
    assert "beta reading and fantasy in common" in first

    # "Not for me" on the first, from the email, in a browser nobody is logged in to.
    stranger = browser.new_context(base_url=live_server.url)
    stranger.set_default_timeout(15_000)
    link_page = stranger.new_page()
    link_page.goto(_link(live_server, first, r"/asks/[^\s]+"))
    expect(link_page.get_by_role("heading", name="Not for you?")).to_be_visible()
    expect(link_page.get_by_text(TITLES[0])).to_be_visible()
    link_page.get_by_role("button", name="Not for me").click()
    expect(link_page.get_by_role("heading", name="Thank you for saying so")).to_be_visible()
    stranger.close()

    # Vic offers to help with the second, from the email's link to the request.
    page.goto(_link(live_server, second, r"/requests/\d+"))
    expect(page.get_by_role("heading", name=TITLES[1])).to_be_visible()
    expect(page.get_by_text("We told you about this request because it suits you")).to_be_visible()
    page.get_by_label("Your note").fill("I would love to read it: I grew up by the sea.")
    page.get_by_role("button", name="I can help").click()
    expect(page.get_by_text("Thank you for offering!")).to_be_visible()

    with app.app_context():
        outcomes = dict(
            db.session.execute(
                select(RequestAsk.volunteer_id, RequestAsk.outcome).where(
                    RequestAsk.outcome != AskOutcome.ASKED.value
                )
            ).all()
        )
        offered = db.session.scalars(select(Answer.volunteer_id)).all()
        vic_id = db.session.scalar(select(User.id).where(User.email == "vic@example.com"))
    assert outcomes == {vic_id: AskOutcome.NOT_FOR_ME.value}
    assert offered == [vic_id]
