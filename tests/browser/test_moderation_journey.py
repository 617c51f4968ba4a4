"""Moderation from the screens, in real browsers: Ben sends Ann abusive chat
messages; Ann reports the last one from the chat and blocks him; a moderator
sees the frozen conversation in the queue and suspends Ben for a week; Ben's
open chat page is disconnected at once and he cannot log in; Ann sees the
message replaced by "removed by a moderator" and hears the outcome in one
line; Ben asks for a review; a second moderator reinstates him."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from community.db import db
from tests.browser.test_chat_journey import Member
from tests.chat.conftest import make_match
from tests.factories import PASSWORD, UserFactory

# Four browsers walk a long journey: more than the suite's default 120 s on a
# busy machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]

ANN, BEN = "ann@example.com", "ben@example.com"
MO, MAX = "mo@example.com", "max@example.com"
ABUSE = [
    "Your chapters are garbage.",
    "Nobody will ever read you.",
    "Give up writing, you hack.",
]


@pytest.fixture
def people(live_server):
    live_server.app.config["WTF_CSRF_ENABLED"] = True
    with live_server.app.app_context():
        ann = UserFactory(email=ANN, display_name="Ann Author")
        ben = UserFactory(email=BEN, display_name="Ben Bully")
        UserFactory(email=MO, display_name="Mo Moderator", is_moderator=True)
        UserFactory(email=MAX, display_name="Max Moderator", is_moderator=True)
        db.session.commit()
        _match, conversation = make_match(ann, ben)
        return conversation.id


@pytest.fixture
def browsers(browser, live_server):
    made: list[Member] = []

    def make(email: str) -> Member:
        member = Member(browser, live_server)
        made.append(member)
        member.log_in(email)
        return member

    yield make
    for member in made:
        if not member.closed:
            member.context.close()


def test_report_suspend_appeal_reinstate(live_server, people, browsers):
    chat = f"/chats/{people}"
    ben = browsers(BEN)
    ben.goto_live(chat)
    for line in ABUSE:
        ben.page.get_by_label("Message to Ann Author").fill(line)
        ben.page.get_by_role("button", name="Send").click()
        expect(ben.page.locator(".chat-message.mine .chat-body").last).to_have_text(line)

    # Ann reports the last message from the chat, and blocks Ben in the same step.
    ann = browsers(ANN)
    ann.goto_live(chat)
    last = ann.page.locator(".chat-message").filter(has_text=ABUSE[-1])
    last.get_by_role("link", name="Report").click()
    expect(ann.page.get_by_role("heading", name="Report a chat message")).to_be_visible()
    ann.page.get_by_label("Harassment or hate").check()
    ann.page.get_by_label("Anything the moderators should know").fill("Three in a row.")
    ann.page.get_by_label("Also block this member").check()
    ann.page.get_by_role("button", name="Send the report").click()
    expect(ann.page.get_by_text("A moderator will look at it")).to_be_visible()
    ann.goto_live(chat)

    # A moderator sees the frozen context and suspends Ben for a week.
    mo = browsers(MO)
    mo.page.get_by_role("link", name="Moderation").click()
    case = mo.page.locator("article.case")
    for line in ABUSE:
        expect(case.locator(".frozen-context")).to_contain_text(line)
    case.get_by_label("Days").fill("7")
    case.get_by_role("button", name="Suspend").click()
    expect(mo.page.get_by_text("Ben Bully is suspended for 7 days.")).to_be_visible()

    # Ben's open page is disconnected at once; Ann's shows the message removed.
    expect(ben.page.locator("#chat-connection")).to_have_text(
        "You were signed out. Reload the page to chat again."
    )
    expect(ann.page.locator(".chat-message").nth(2).locator(".chat-body")).to_have_text(
        "removed by a moderator"
    )
    ann.page.goto("/notifications/")
    expect(ann.page.get_by_text("Thank you: a moderator acted on your report")).to_be_visible()

    # Ben cannot log in; he asks for a review from where the login page sends him.
    ben.page.goto("/login")
    ben.page.get_by_label("Email").fill(BEN)
    ben.page.get_by_label("Password").fill(PASSWORD)
    ben.page.get_by_role("button", name="Log in").click()
    expect(ben.page.get_by_text("Your account is suspended until")).to_be_visible()
    suspension = ben.page.locator("article").filter(has_text="a suspension")
    suspension.get_by_label("Why should a moderator look again?").fill(
        "I was wrong and I am sorry; it will not happen again."
    )
    suspension.get_by_role("button", name="Ask for a review").click()
    expect(ben.page.get_by_text("A moderator who did not take the decision")).to_be_visible()

    # The moderator who suspended him cannot decide; a second one reinstates.
    mo.page.goto("/moderation/")
    expect(mo.page.get_by_text("This was your decision")).to_be_visible()
    max_ = browsers(MAX)
    max_.page.goto("/moderation/")
    appeal = max_.page.locator("article.appeal")
    expect(appeal).to_contain_text("I was wrong and I am sorry")
    appeal.get_by_label("Why (kept in the log)").fill("A first offence, sincerely regretted.")
    appeal.get_by_role("button", name="Reinstate").click()
    expect(max_.page.get_by_text("Ben Bully is reinstated.")).to_be_visible()

    ben.log_in(BEN)
    for member in (ann, ben, mo, max_):
        member.close()
