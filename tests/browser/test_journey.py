"""A newcomer's first visit, in a real browser: join, confirm, write a profile, be found."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EMAIL = "ann.writer@example.com"
PASSWORD = "a long walk by the river"


def _link_in(mailbox, address: str, pattern: str) -> str:
    messages = mailbox.to(address)
    assert len(messages) == 1, f"expected one email to {address}, got {len(messages)}"
    match = re.search(pattern, mailbox.text(messages[0]))
    assert match, "the email has no such link"
    return match.group(0)


def test_join_confirm_edit_profile_and_be_found(page, live_server):
    page.goto("/")
    page.get_by_role("link", name="Join").first.click()
    page.get_by_label("Your name").fill("Ann Writer")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # The verification email, captured by the file transport, links to this server.
    link = _link_in(live_server.mailbox, EMAIL, rf"{re.escape(live_server.url)}/verify/\S+")
    page.goto(link)
    expect(page.get_by_text("your email address is confirmed")).to_be_visible()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Ann!")).to_be_visible()
    page.get_by_role("link", name="Tell others about yourself").click()
    expect(page.get_by_role("heading", name="Edit your profile")).to_be_visible()

    page.get_by_label("About me").fill(
        "I write cosy mysteries set in Cornish fishing villages.\n\nTell me about your book!"
    )
    page.get_by_label("Where I am with my writing").select_option(label="Querying agents")
    page.get_by_role("group", name="Genres I write").get_by_label("Mystery").check()
    page.get_by_role("group", name="I can offer").get_by_label("Beta reading").check()
    page.get_by_role("group", name="I'd love help with").get_by_label("Query letters").check()
    page.get_by_label("Timezone").fill("Europe/London")
    page.get_by_role("button", name="Save my profile").click()

    expect(page.get_by_role("heading", name="Ann Writer")).to_be_visible()
    expect(page.get_by_text("cosy mysteries set in Cornish fishing villages")).to_be_visible()

    page.locator(".nav-you > summary").click()  # the "You" menu holds it
    page.locator(".nav-you").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Welcome back, Ann Writer")).to_be_visible()

    page.goto("/members")
    page.get_by_label("Search names and about texts").fill("Cornish")
    page.get_by_role("button", name="Find members").click()
    expect(page.get_by_role("link", name="Ann Writer")).to_be_visible()
    page.get_by_label("Search names and about texts").fill("nobody writes this")
    page.get_by_role("button", name="Find members").click()
    expect(page.get_by_role("link", name="Ann Writer")).to_have_count(0)


def test_wrong_password_keeps_the_email_and_says_why(page, live_server):
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("nobody@example.com")
