"""Asking for help and being matched, in a real browser: A asks, B answers, A accepts,
both meet through the introduction email, and C cannot open their match page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community.db import db
from tests.builders import make_offer
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

TITLE = "Beta readers for my lighthouse fantasy"


def _members(live_server) -> None:
    with live_server.app.app_context():
        UserFactory(email="ann@example.com", display_name="Ann Asker")
        bob = UserFactory(email="bob@example.com", display_name="Bob Helper")
        UserFactory(email="cat@example.com", display_name="Cat Stranger")
        db.session.flush()
        make_offer(bob, capacity=3, genres=["fantasy"], note="I love stories of the sea.")


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()


def _match_link(live_server, address: str) -> str:
    intros = [m for m in live_server.mailbox.to(address) if m["Subject"].startswith("Meet")]
    assert len(intros) == 1, f"expected one introduction to {address}, got {len(intros)}"
    found = re.search(
        rf"{re.escape(live_server.url)}/matches/\d+", live_server.mailbox.text(intros[0])
    )
    assert found, "the introduction has no link to the match page"
    return found.group(0)


def test_ask_answer_accept_and_meet(page, browser, live_server):
    _members(live_server)

    # Ann asks for help, from the board (the navigation's "Requests").
    _log_in(page, "ann@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    expect(page.get_by_role("heading", name="Requests for help")).to_be_visible()
    page.get_by_role("link", name="Ask for help").first.click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("What would you like help with?").fill(
        "A 90k-word fantasy about a lighthouse keeper. I would love notes on the pacing."
    )
    page.get_by_role("group", name="Kinds of help").get_by_label("Beta reading").check()
    page.get_by_label("Genre").select_option(label="Fantasy")
    page.get_by_label("Rough effort").fill("about 6 hours")
    page.get_by_role("button", name="Post my request").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("Your request is posted")).to_be_visible()
    request_url = page.url

    # Bob, who offers beta reading, finds it on the board and in "Best for me".
    bob_context = browser.new_context(base_url=live_server.url)
    bob_context.set_default_timeout(15_000)
    bob_page = bob_context.new_page()
    _log_in(bob_page, "bob@example.com")
    bob_page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    expect(bob_page.get_by_role("link", name=TITLE)).to_be_visible()
    bob_page.get_by_role("link", name="Best for me").click()
    expect(bob_page.get_by_role("link", name=TITLE)).to_be_visible()
    expect(bob_page.get_by_text("Why you: beta reading and fantasy in common")).to_be_visible()
    bob_page.get_by_role("link", name=TITLE).click()
    bob_page.get_by_label("Your note").fill("I'd love to read it: I grew up by the sea.")
    bob_page.get_by_role("button", name="I can help").click()
    expect(bob_page.get_by_text("Thank you for offering!")).to_be_visible()

    # Ann sees the offer with Bob's profile summary and accepts.
    page.goto(request_url)
    expect(page.get_by_text("I grew up by the sea.")).to_be_visible()
    page.get_by_role("button", name="Accept Bob's offer").click()
    expect(page.get_by_role("heading", name="Your match with Bob Helper")).to_be_visible()

    # Both find the introduction email and open the match page from its link.
    bob_page.goto(_match_link(live_server, "bob@example.com"))
    expect(bob_page.get_by_role("heading", name="Your match with Ann Asker")).to_be_visible()
    expect(bob_page.get_by_role("heading", name="Chat")).to_be_visible()
    match_link = _match_link(live_server, "ann@example.com")
    page.goto(match_link)
    expect(page.get_by_role("heading", name="Your match with Bob Helper")).to_be_visible()
    bob_context.close()

    # Cat is not part of the match: the same 404 as for a match that does not exist.
    cat_context = browser.new_context(base_url=live_server.url)
    cat_page = cat_context.new_page()
    _log_in(cat_page, "cat@example.com")
    response = cat_page.goto(match_link)
    assert response.status == 404
    expect(
        cat_page.get_by_role("heading", name=re.compile("^We could not find that"))
    ).to_be_visible()
    cat_context.close()


def test_the_navigation_wraps_on_a_phone(browser, live_server):
    _members(live_server)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    phone = context.new_page()
    _log_in(phone, "ann@example.com")
    # On a phone the links fold into the Menu (tests/browser/test_front_page_journey.py).
    phone.get_by_role("navigation", name="Main").get_by_text("Menu").click()
    for name in ("Requests", "My help", "Volunteer"):
        link = phone.get_by_role("navigation", name="Main").get_by_role("link", name=name)
        expect(link).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a phone ({width}px)"
    context.close()
