"""Follow and welcome, in a real browser: A follows B from the people suggested to
her; B is told, follows back, writes a welcome while the coach's hints change as
B types; A reads it and answers in the chat, which B sees live.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community.db import db
from community.profiles import taxonomy
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

WELCOME = "Hello Ada, I see you write fantasy too. What are you working on? How can I help?"
ANSWER = "Thank you, Ben! A lighthouse keeper who hears the sea sing. What are your ballads about?"


def _member(name: str, email: str, genres, about: str, wants=()):
    user = UserFactory(display_name=name, email=email)
    user.profile.about = about
    user.profile.genres = taxonomy.genres_by_slugs(genres)[0]
    user.profile.wanted_skills = taxonomy.skills_by_slugs(wants)[0]
    return user


def _log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body[data-user-id]")).to_have_count(1)  # logged in


def test_follow_be_followed_back_and_welcomed(page, browser, live_server):
    # As in production: every form, and the coach's JSON, needs the CSRF token.
    live_server.app.config["WTF_CSRF_ENABLED"] = True
    with live_server.app.app_context():
        ada = _member(
            "Ada Author",
            "ada@example.com",
            ["fantasy"],
            "An epic fantasy about a lighthouse keeper.",
            wants=["query-letters"],
        )
        ben = _member("Ben Bard", "ben@example.com", ["fantasy", "poetry"], "Sea ballads.")
        db.session.commit()
        ada_id, ben_id = ada.id, ben.id

    # A follows B, whom the feed suggests: they both write fantasy.
    _log_in(page, "ada@example.com")
    page.goto("/feed")
    expect(page.get_by_text("You don't follow anyone yet.")).to_be_visible()
    suggestions = page.get_by_role("region", name="People you might like to meet")
    expect(suggestions.get_by_text("also writes fantasy")).to_be_visible()
    suggestions.get_by_role("button", name="Follow Ben Bard").click()
    expect(page.get_by_text("You follow Ben Bard now.")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/feed")

    # B, in another browser, is told.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    errors: list[str] = []
    ben_page = context.new_page()
    ben_page.on("pageerror", lambda error: errors.append(str(error)))
    ben_page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    try:
        _log_in(ben_page, "ben@example.com")
        badge = ben_page.locator("#nav-notifications .badge")
        expect(badge).to_have_text("1")
        ben_page.locator("#nav-notifications").click()
        notification = ben_page.locator("article.notification", has_text="Ada Author")
        expect(notification).to_contain_text("Ada Author started following you")
        notification.get_by_role("button", name="Open").click()

        # The follow-back page: follow back, then write a welcome.
        expect(ben_page).to_have_url(f"{live_server.url}/followers/{ada_id}")
        expect(ben_page.get_by_role("heading", name="Ada Author follows you")).to_be_visible()
        ben_page.get_by_role("button", name="Follow Ada Author").click()
        expect(ben_page.get_by_text("You follow Ada Author now.")).to_be_visible()
        expect(ben_page.get_by_text("You follow each other: you are connected.")).to_be_visible()
        ben_page.get_by_role("link", name="Write a welcome").click()

        # The composer, with Ada's profile beside it, and the coach.
        expect(ben_page.get_by_role("heading", name="Welcome Ada Author")).to_be_visible()
        side = ben_page.locator("aside.profile-side")
        expect(side).to_contain_text("Fantasy")
        expect(side).to_contain_text("Query letters")
        expect(side).to_contain_text("lighthouse keeper")
        hints = ben_page.locator("#coach-hints")
        expect(hints.locator('li[data-code="asks"].hint-todo')).to_be_visible()
        expect(hints.locator('li[data-code="mentions_them"].hint-todo')).to_be_visible()

        box = ben_page.get_by_label("Your welcome")
        box.press_sequentially("Hello Ada, I see you write fantasy too.", delay=15)
        expect(hints.locator('li[data-code="mentions_them"].hint-ok')).to_be_visible()
        expect(hints.locator('li[data-code="mentions_them"]')).to_contain_text("Fantasy")
        expect(hints.locator('li[data-code="asks"].hint-todo')).to_be_visible()
        box.press_sequentially(" What are you working on?", delay=15)
        expect(hints.locator('li[data-code="asks"].hint-ok')).to_be_visible()
        expect(hints.locator('li[data-code="asks"]')).to_contain_text("You ask Ada something")
        box.press_sequentially(" How can I help?", delay=15)
        expect(hints.locator('li[data-code="about_them"].hint-ok')).to_be_visible()
        expect(box).to_have_value(WELCOME)

        ben_page.get_by_role("button", name="Send my welcome").click()
        expect(ben_page.get_by_text("Your welcome is on its way to Ada Author.")).to_be_visible()
        assert errors == [], f"the browser reported errors: {errors}"
    finally:
        context.close()

    # A is told, and reads it.
    page.reload()
    expect(page.locator("#nav-notifications .badge")).to_have_text(re.compile(r"[1-9]"))
    page.goto("/notifications/")
    expect(page.get_by_text("Ben Bard started following you")).to_be_visible()
    expect(page.get_by_text("Ben Bard wrote to you")).to_be_visible()
    page.goto("/welcomes")
    welcome = page.locator("article", has_text="Ben Bard")
    expect(welcome).to_contain_text(WELCOME)
    expect(welcome.get_by_role("link", name="Ben Bard")).to_have_attribute(
        "href", f"/members/{ben_id}"
    )

    # A answers in the chat: from B's profile, where they are connected now.
    welcome.get_by_role("link", name="Ben Bard").click()
    expect(page).to_have_url(f"{live_server.url}/members/{ben_id}")
    expect(page.get_by_text("You are connected")).to_be_visible()
    message_button = page.get_by_role("button", name="Message Ben Bard")
    expect(
        message_button,
        "B's profile has no 'Message Ben Bard' button "
        f"(a form posting to /members/{ben_id}/chat for connected members)",
    ).to_be_visible()
    message_button.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(live_server.url)}/chats/\d+$"))
    chat_url = page.url
    expect(page.get_by_text("You follow each other")).to_be_visible()
    # The personal welcome opens the conversation.
    expect(page.locator(".chat-welcomes blockquote.welcome-note")).to_have_count(1)
    expect(page.locator(".chat-welcomes blockquote.welcome-note")).to_contain_text(WELCOME)
    expect(page.locator(".chat-welcomes blockquote.welcome-note")).to_contain_text("Ben Bard")

    # B, back in another browser, opens the conversation from the list of chats.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    errors = []
    ben_page = context.new_page()
    ben_page.on("pageerror", lambda error: errors.append(str(error)))
    ben_page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    try:
        _log_in(ben_page, "ben@example.com")
        ben_page.goto("/chats")
        ben_page.locator("#chat-list").get_by_role("link", name=re.compile("Ada Author")).click()
        expect(ben_page).to_have_url(chat_url)
        expect(ben_page.locator(".chat-welcomes blockquote.welcome-note")).to_contain_text(
            "You wrote a welcome"
        )
        # Both are connected to the chat: each sees the other online.
        expect(ben_page.locator("#chat-presence")).to_have_text("online now")
        expect(page.locator("#chat-presence")).to_have_text("online now")

        # A's answer reaches B live, and A sees it seen.
        page.get_by_label("Message to Ben Bard").fill(ANSWER)
        page.get_by_role("button", name="Send", exact=True).click()
        received = ben_page.locator("#chat-messages li.chat-message")
        expect(received).to_have_count(1)
        expect(received).to_contain_text("Ada Author")
        expect(received.locator(".chat-body")).to_have_text(ANSWER)
        expect(page.locator("#chat-messages li.mine [data-role=status]")).to_have_text("seen")
        assert errors == [], f"the browser reported errors: {errors}"
    finally:
        context.close()
