"""No one left hanging, in a real browser: Ann asks, Bob answers, Ann accepts,
and nobody writes. A day later both get the first-contact reminder; Bob opens
the chat from his email and writes, and the match page says so in words. A
quiet week later the check-in comes, and Ann's "it stalled" link ends the
match kindly and shows her who else could help.

Time moves the way the scheduler sees it: the match's stored times are moved
back, then the periodic job runs (as ``rq cron`` would)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from community.db import db
from community.helping import check_ins, first_contact
from community.helping.models import HelpRequest, Match
from tests.builders import make_offer
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

TITLE = "Beta readers for my lighthouse fantasy"
HELLO = "Hello Ann! I have started chapter one: the storm scene is gripping."
TIMES = ("created_at", "helper_reminder_due_at", "requester_reminder_due_at", "check_in_due_at")


def _members(live_server) -> None:
    with live_server.app.app_context():
        UserFactory(email="ann@example.com", display_name="Ann Asker")
        bob = UserFactory(email="bob@example.com", display_name="Bob Helper")
        cara = UserFactory(email="cara@example.com", display_name="Cara Kind")
        db.session.flush()
        make_offer(bob, capacity=3, genres=["fantasy"], note="I love stories of the sea.")
        make_offer(cara, capacity=3, genres=["fantasy"], note="Fantasy is my home.")
        db.session.commit()


def _browser_of(browser, live_server, email: str):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()
    return context, page, errors


def _time_passes(live_server, by: timedelta) -> None:
    """``by`` goes by for every match: each time it holds moves back."""
    with live_server.app.app_context():
        for match in db.session.scalars(select(Match)):
            values = {key: getattr(match, key) - by for key in TIMES if getattr(match, key)}
            db.session.execute(update(Match).where(Match.id == match.id).values(values))
        db.session.commit()


def _run(live_server, job) -> int:
    with live_server.app.app_context():
        return job()


def _emails(live_server, address: str, subject_start: str) -> list:
    mailbox = live_server.mailbox
    return [m for m in mailbox.to(address) if (m["Subject"] or "").startswith(subject_start)]


def _link(live_server, message, pattern: str) -> str:
    text = live_server.mailbox.text(message)
    found = re.search(rf"(?:{re.escape(live_server.url)}|http://kindred\.test){pattern}", text)
    assert found, f"no link matching {pattern} in:\n{text}"
    # The site's own address, whatever BASE_URL the emails were written with.
    return found.group(0).replace("http://kindred.test", live_server.url)


def test_no_one_left_hanging(page, browser, live_server):
    _members(live_server)
    # Both reminders of first contact come a day after the match (the
    # requester's after the helper's by default; here at the same time).
    live_server.app.config["FIRST_CONTACT_REQUESTER_AFTER_HOURS"] = 0

    # Ann asks.
    page.goto("/login")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back")).to_be_visible()
    page.goto("/requests/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("What would you like help with?").fill(
        "A 90k-word fantasy about a lighthouse keeper. I would love notes on the pacing."
    )
    page.get_by_role("group", name="Kinds of help").get_by_label("Beta reading").check()
    page.get_by_label("Genre").select_option(label="Fantasy")
    page.get_by_label("Rough effort").fill("about 6 hours")
    page.get_by_role("button", name="Post my request").click()
    expect(page.get_by_text("Your request is posted")).to_be_visible()
    request_url = page.url

    # Bob answers.
    bob_context, bob, bob_errors = _browser_of(browser, live_server, "bob@example.com")
    bob.goto(request_url)
    bob.get_by_label("Your note").fill("I'd love to read it: I grew up by the sea.")
    bob.get_by_role("button", name="I can help").click()
    expect(bob.get_by_text("Thank you for offering!")).to_be_visible()

    # Ann accepts; nobody writes.
    page.goto(request_url)
    page.get_by_role("button", name="Accept Bob's offer").click()
    expect(page.get_by_role("heading", name="Your match with Bob Helper")).to_be_visible()
    expect(page.locator("#first-contact")).to_have_text(
        "Neither of you has written yet: here is a way to start."
    )
    match_url = page.url

    # A day goes by: both get the first-contact reminder.
    _time_passes(live_server, timedelta(days=1, minutes=1))
    assert _run(live_server, first_contact.send_first_contact_reminders) == 2
    [to_bob] = _emails(live_server, "bob@example.com", "Say hello")
    [to_ann] = _emails(live_server, "ann@example.com", "Say hello")
    assert "nobody has written yet" in live_server.mailbox.text(to_ann)

    # Bob opens the chat from his email's link and writes.
    bob.goto(_link(live_server, to_bob, r"/chats/\d+"))
    box = bob.get_by_label("Message to Ann Asker")
    box.fill(HELLO)
    bob.get_by_role("button", name="Send", exact=True).click()
    expect(bob.locator("#chat-messages li.chat-message .chat-body")).to_have_text([HELLO])
    # Stored (the server acknowledged it), not only shown.
    expect(bob.locator("#chat-messages li.mine [data-role=status]")).to_have_text("sent")

    # The match page says it in words.
    page.goto(match_url)
    expect(page.locator("#first-contact")).to_have_text(
        "Bob Helper has written; you haven't answered yet."
    )
    bob.goto(match_url)
    expect(bob.locator("#first-contact")).to_have_text(
        "You have written; Ann Asker hasn't answered yet."
    )
    bob_context.close()
    assert bob_errors == [], f"Bob's browser reported errors: {bob_errors}"

    # A week goes by with no message: the check-in goes to both.
    assert _run(live_server, check_ins.send_check_ins) == 0  # Bob wrote: not yet
    _time_passes(live_server, timedelta(days=7, minutes=1))
    assert _run(live_server, check_ins.send_check_ins) == 1
    assert len(_emails(live_server, "bob@example.com", "How is it going")) == 1
    [check_in] = _emails(live_server, "ann@example.com", "How is it going")

    # Ann's "it stalled" link ends the match kindly and shows who else could help.
    texts = live_server.mailbox.text(check_in)
    stalled = re.search(r"It stalled \(.*?\): (\S+)", texts, re.S)
    assert stalled, texts
    page.goto(stalled.group(1).replace("http://kindred.test", live_server.url))
    expect(page.get_by_role("heading", name="It stalled?")).to_be_visible()
    page.get_by_label("A word for the other member, if you like").fill(
        "Life got busy for both of us; thank you, Bob."
    )
    page.get_by_role("button", name="End the match kindly").click()
    expect(page.get_by_role("heading", name="The match has ended, kindly")).to_be_visible()
    expect(page.get_by_text("Your request is open again")).to_be_visible()
    suggestions = page.locator("#next-suggestions")
    expect(suggestions.get_by_role("link", name="Cara Kind")).to_be_visible()
    expect(suggestions.get_by_role("link", name="Bob Helper")).to_have_count(0)

    # The request is open again with its place free; the match page says it stalled
    # and asks Ann, privately, how it went.
    with live_server.app.app_context():
        request = db.session.scalar(select(HelpRequest).where(HelpRequest.title == TITLE))
        assert (request.status, request.places_taken) == ("open", 0)
    page.goto(match_url)
    expect(page.get_by_text("Ended: it stalled")).to_be_visible()
    expect(page.get_by_role("heading", name="How did it go?")).to_be_visible()
    page.get_by_label("How did it go? One sentence").fill("Bob was kind; the timing was wrong.")
    page.get_by_role("button", name="Send privately").click()
    expect(page.get_by_text("Thank you for saying how it went")).to_be_visible()
    expect(page.get_by_text("“Bob was kind; the timing was wrong.”")).to_be_visible()
    [told] = _emails(live_server, "bob@example.com", "Your match for")
    assert "Life got busy for both of us" in live_server.mailbox.text(told)
