"""The live chat, in real browsers: two matched members write to each other over
Socket.IO (typing, "seen", the unread badges, history after a reload), the
member who is away gets one email once the quiet period is over (and none when
they read it in time), and the page still works without JavaScript and on a
phone."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from community.accounts.models import User
from community.chat import service
from community.db import db
from tests.builders import make_match
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

ANN = "ann@example.com"  # asked for help
BEN = "ben@example.com"  # helps her
FIRST = "Hello Ben, thank you for offering! The middle chapters drag, I think."
REPLY = "Hi Ann! I will start tonight and send notes on chapters 10 to 14."
THIRD = "Quick question: should I mark typos too, or only pacing?"
FOURTH = "And do you prefer comments in the margin or a letter?"
UNREAD_SUBJECT = "Ann Author wrote to you on Kindred"


class Member:
    """One member's browser: a context of their own and a page, every script error
    kept, and a count of the Socket.IO connections the server accepted."""

    def __init__(self, browser, live_server, **options):
        self.context = browser.new_context(base_url=live_server.url, **options)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.sockets = 0
        self.closed = False
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.on("websocket", self._watch)

    def _watch(self, websocket) -> None:
        # Socket.IO's CONNECT answer ("40{...}") comes once the server's connect
        # handler has run, i.e. once this page listens in the member's room.
        def frame(payload) -> None:
            if isinstance(payload, str) and payload.startswith("40"):
                self.sockets += 1

        websocket.on("framereceived", frame)

    def log_in(self, email: str) -> None:
        self.page.goto("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.locator("body[data-user-id]")).to_have_count(1)  # logged in

    def goto_live(self, url: str) -> None:
        """Open ``url`` and wait until its page is connected to the chat."""
        before = self.sockets
        self.page.goto(url)
        deadline = time.monotonic() + 10
        while self.sockets <= before:
            assert time.monotonic() < deadline, f"{url} did not connect to the chat"
            self.page.wait_for_timeout(50)

    def expected_error(self, text: str) -> None:
        """Forget an error the test caused on purpose (the console logs a 400, say)."""
        matching = [error for error in self.errors if text in error]
        assert matching, f"expected an error with {text!r}, got {self.errors}"
        self.errors = [error for error in self.errors if text not in error]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.context.close()
        assert self.errors == [], f"the browser reported errors: {self.errors}"


@pytest.fixture
def members(browser, live_server):
    """``members(email, **context options)``: that member's browser, logged in."""
    made: list[Member] = []

    def make(email: str, **options) -> Member:
        member = Member(browser, live_server, **options)
        made.append(member)
        member.log_in(email)
        return member

    yield make
    for member in made:
        if not member.closed:
            member.context.close()
    errors = [member.errors for member in made if member.errors]
    assert not errors, f"the browsers reported errors: {errors}"


def _matched(live_server) -> int:
    """Ann asked for beta readers and accepted Ben: their conversation's id."""
    # As in production: every form needs its CSRF token.
    live_server.app.config["WTF_CSRF_ENABLED"] = True
    with live_server.app.app_context():
        ann = UserFactory(email=ANN, display_name="Ann Author")
        ben = UserFactory(email=BEN, display_name="Ben Beta")
        db.session.commit()
        _match, conversation = make_match(ann, ben)
        return conversation.id


def _bodies(page):
    return page.locator("#chat-messages li.chat-message .chat-body")


def _unread_emails(live_server, address: str) -> list:
    # A file still being written may lack its subject yet: it counts on the next look.
    return [m for m in live_server.mailbox.to(address) if m["Subject"] == UNREAD_SUBJECT]


def test_two_members_chat_live(live_server, members):
    conversation_id = _matched(live_server)
    chat = f"/chats/{conversation_id}"
    ann = members(ANN)
    ben = members(BEN)

    # Both open the conversation: each sees the other online.
    ann.goto_live(chat)
    expect(ann.page.get_by_role("heading", name="Ben Beta")).to_be_visible()
    expect(ann.page.get_by_text("Matched for “Beta readers for my novel”")).to_be_visible()
    expect(ann.page.locator("#chat-empty")).to_be_visible()
    ben.goto_live(chat)
    expect(ben.page.locator("#chat-presence")).to_have_text("online now")
    expect(ann.page.locator("#chat-presence")).to_have_text("online now")

    # While Ann types, Ben is told; Enter sends, and Ben sees it without reloading.
    box = ann.page.get_by_label("Message to Ben Beta")
    box.press_sequentially("Hello Ben, ", delay=20)
    expect(ben.page.locator("#chat-typing")).to_have_text("Ann Author is typing…")
    box.press_sequentially(FIRST.removeprefix("Hello Ben, "), delay=5)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(_bodies(ben.page)).to_have_text([FIRST])
    expect(ben.page.locator("#chat-empty")).to_have_count(0)
    expect(ben.page.locator("#chat-announcer")).to_have_text(f"Ann Author says: {FIRST}")
    # Ben has it open: Ann's message shows "seen".
    expect(_bodies(ann.page)).to_have_text([FIRST])
    expect(ann.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text("seen")

    # Ben answers with the button; Ann sees it live.
    ben.page.get_by_label("Message to Ann Author").fill(REPLY)
    ben.page.get_by_role("button", name="Send", exact=True).click()
    expect(_bodies(ann.page)).to_have_text([FIRST, REPLY])
    expect(ann.page.locator("#chat-messages li.chat-message").last).to_contain_text("Ben Beta")
    expect(ann.page.locator("#chat-announcer")).to_have_text(f"Ben Beta says: {REPLY}")
    expect(_bodies(ben.page)).to_have_text([FIRST, REPLY])
    expect(ben.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text("seen")

    # A reload keeps the history: both messages, in order, each once.
    ann.page.reload()
    expect(_bodies(ann.page)).to_have_text([FIRST, REPLY])
    expect(ann.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text("seen")
    ben.page.reload()
    expect(_bodies(ben.page)).to_have_text([FIRST, REPLY])

    # Ann is elsewhere on the site: the "Chats" badge counts Ben's new message live.
    ann.goto_live("/requests")
    badge = ann.page.locator("#nav-chats [data-role=chat-unread]")
    expect(badge).to_be_hidden()
    ben.page.get_by_label("Message to Ann Author").fill(THIRD)
    ben.page.get_by_role("button", name="Send", exact=True).click()
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1 unread")
    expect(ben.page.locator("#chat-messages li.mine [data-role=status]").last).to_have_text("sent")

    # The list of chats shows it unread, and counts the next one live.
    ann.goto_live("/chats")
    item = ann.page.locator(f'#chat-list li[data-conversation-id="{conversation_id}"]')
    item_badge = item.locator("[data-role=unread]")
    expect(item_badge).to_be_visible()
    expect(item_badge).to_contain_text("1")
    expect(item.locator("[data-role=last]")).to_have_text(THIRD)
    ben.page.get_by_label("Message to Ann Author").fill(FOURTH)
    ben.page.get_by_role("button", name="Send", exact=True).click()
    expect(item_badge).to_have_text("2 unread")
    expect(badge).to_have_text("2 unread")
    expect(item.locator("[data-role=last]")).to_have_text(FOURTH)

    # Ann opens it: all read, the badge goes, and Ben sees "seen".
    item.get_by_role("link").click()
    expect(ann.page).to_have_url(f"{live_server.url}{chat}")
    expect(_bodies(ann.page)).to_have_text([FIRST, REPLY, THIRD, FOURTH])
    expect(ann.page.locator("#nav-chats [data-role=chat-unread]")).to_be_hidden()
    expect(ben.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text(
        ["seen", "seen", "seen"]
    )


QUIET = 2  # seconds: short, but long enough for Ann to send two messages within it


def test_an_absent_member_gets_one_email_listing_the_unread_messages(live_server, members):
    live_server.app.config["CHAT_EMAIL_QUIET_SECONDS"] = QUIET
    conversation_id = _matched(live_server)
    chat = f"/chats/{conversation_id}"
    ann = members(ANN)
    ben = members(BEN)
    ann.goto_live(chat)
    ben.goto_live(chat)
    expect(ann.page.locator("#chat-presence")).to_have_text("online now")

    # Ben closes his page; Ann sees him leave, then writes twice.
    ben.close()
    expect(ann.page.locator("#chat-presence")).to_have_text(re.compile(r"^last seen "))
    box = ann.page.get_by_label("Message to Ben Beta")
    box.fill(FIRST)
    box.press("Enter")
    box.fill(THIRD)
    box.press("Enter")
    expect(_bodies(ann.page)).to_have_text([FIRST, THIRD])
    statuses = ann.page.locator("#chat-messages li.mine [data-role=status]")
    expect(statuses).to_have_text(["sent", "sent"])

    # After the quiet period, one email lists both.
    deadline = time.monotonic() + 15
    while not _unread_emails(live_server, BEN):
        assert time.monotonic() < deadline, "Ben got no email about his unread messages"
        ann.page.wait_for_timeout(200)
    ann.page.wait_for_timeout((QUIET + 1) * 1000)  # a second email would be here by now
    emails = _unread_emails(live_server, BEN)
    assert len(emails) == 1, f"expected one email to Ben, got {len(emails)}"
    text = live_server.mailbox.text(emails[0])
    assert FIRST in text and THIRD in text, text
    assert text.index(FIRST) < text.index(THIRD), "the messages are listed out of order"
    link = f"{live_server.url}{chat}"
    assert link in text, text
    assert _unread_emails(live_server, ANN) == []
    expect(statuses).to_have_text(["sent", "sent"])

    # Ben follows the email's link: both are there, and Ann sees them seen.
    ben = members(BEN)
    ben.goto_live(link)
    expect(_bodies(ben.page)).to_have_text([FIRST, THIRD])
    expect(statuses).to_have_text(["seen", "seen"])


def test_no_email_when_the_messages_are_read_in_time(live_server, members):
    live_server.app.config["CHAT_EMAIL_QUIET_SECONDS"] = 1
    conversation_id = _matched(live_server)
    chat = f"/chats/{conversation_id}"
    ann = members(ANN)
    ben = members(BEN)
    ann.goto_live(chat)
    ben.goto_live(chat)
    expect(ann.page.locator("#chat-presence")).to_have_text("online now")

    box = ann.page.get_by_label("Message to Ben Beta")
    box.fill(FIRST)
    box.press("Enter")
    box.fill(THIRD)
    box.press("Enter")
    expect(_bodies(ben.page)).to_have_text([FIRST, THIRD])
    expect(ann.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text(
        ["seen", "seen"]
    )
    # Nothing should come: wait three quiet periods (and a little) to be sure.
    ann.page.wait_for_timeout(3_500)
    assert _unread_emails(live_server, BEN) == []


def test_reading_and_sending_without_javascript(live_server, members):
    conversation_id = _matched(live_server)
    with live_server.app.app_context():
        ben = db.session.scalar(db.select(User).where(User.email == BEN))
        service.send(ben, conversation_id, "ben-first", REPLY)
        db.session.commit()
    ann = members(ANN, java_script_enabled=False)
    ann.page.goto("/chats")
    expect(ann.page.locator("#nav-chats [data-role=chat-unread]")).to_have_text("1 unread")
    ann.page.get_by_role("link", name=re.compile("Ben Beta")).click()
    expect(ann.page).to_have_url(f"{live_server.url}/chats/{conversation_id}")
    expect(_bodies(ann.page)).to_have_text([REPLY])
    expect(ann.page.locator("#nav-chats [data-role=chat-unread]")).to_be_hidden()

    # An empty message is refused with the reason, next to the box.
    ann.page.get_by_role("button", name="Send", exact=True).click()
    expect(ann.page.locator("#body-error")).to_have_text("Write something first.")
    ann.expected_error("status of 400")

    # The plain form sends; the message is there after the redirect.
    ann.page.get_by_label("Message to Ben Beta").fill(FIRST)
    ann.page.get_by_role("button", name="Send", exact=True).click()
    expect(ann.page).to_have_url(re.compile(rf"/chats/{conversation_id}(#latest)?$"))
    expect(_bodies(ann.page)).to_have_text([REPLY, FIRST])
    expect(ann.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text("sent")
    expect(ann.page.get_by_label("Message to Ben Beta")).to_have_value("")
    # A reload shows it once.
    ann.page.reload()
    expect(_bodies(ann.page)).to_have_text([REPLY, FIRST])


def test_the_composer_fits_a_phone(live_server, members):
    conversation_id = _matched(live_server)
    ann = members(ANN, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    ann.goto_live(f"/chats/{conversation_id}")
    box = ann.page.get_by_label("Message to Ben Beta")
    send = ann.page.get_by_role("button", name="Send", exact=True)
    box.scroll_into_view_if_needed()
    expect(box).to_be_in_viewport()
    expect(send).to_be_visible()
    for element in (box, send):
        area = element.bounding_box()
        assert area and area["x"] >= 0 and area["x"] + area["width"] <= 390, area
    width = ann.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px wide)"
    box.tap()
    box.fill(FIRST)
    send.tap()
    expect(_bodies(ann.page)).to_have_text([FIRST])
    expect(ann.page.locator("#chat-messages li.mine [data-role=status]")).to_have_text("sent")
    expect(box).to_have_value("")
