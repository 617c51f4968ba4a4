"""The front page in a real browser, as a visitor and then as a member, in one
journey: the figures match the database, no private thank-you or private
ripple appears, it works with JavaScript off and reads on a phone; and the
member navigation fits on one line at 1200 px and becomes a menu on a phone
that the keyboard alone can open and follow."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import distinct, func, select

from community.accounts.models import User
from community.db import db, utcnow
from community.kindness import privacy
from community.kindness import service as kindness
from community.kindness.models import CameBack, HelpAct
from tests.builders import make_match, make_request
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PUBLIC = "Thank you, your notes on my opening changed everything."
PRIVATE = "A private thank-you: you got me through a hard week."
QUIET_HELPER = "Thanks for the synopsis notes, they were spot on."
MEMBER = "ann@example.com"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1200, "height": 900}


@pytest.fixture
def community(live_server):
    """Members, thanks (public, private, and one whose helper keeps their help
    off public pages), open requests; returns the figures the database holds."""
    with live_server.app.app_context():
        ann = UserFactory(
            email=MEMBER, display_name="Ann Asker", profile__about="I write Cornish mysteries."
        )
        ben = UserFactory(display_name="Ben Beta", profile__about="Retired teacher, beta reader.")
        cat = UserFactory(display_name="Cat Quiet", profile__about="I keep my kindness quiet.")
        dee = UserFactory(display_name="Dee Demure")
        db.session.commit()
        first, _ = make_match(ann, ben)
        kindness.complete_match(ann, first, PUBLIC)
        second, _ = make_match(dee, ben)
        kindness.complete_match(dee, second, PRIVATE, keep_private=True)
        third, _ = make_match(ann, cat)
        kindness.complete_match(ann, third, QUIET_HELPER)
        privacy.set_ripples_private(cat, True)
        make_request(ann, "critique", title="Critique of my first chapter")
        make_request(dee, "critique", title="Another critique, please")
        make_request(ben, "beta-reading", title="Beta readers for a cosy crime novel")
        db.session.commit()
        month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        figures = {
            "members": db.session.scalar(
                select(func.count(User.id)).where(
                    User.deleted_at.is_(None), User.email_verified_at.is_not(None)
                )
            ),
            "acts of help this month": db.session.scalar(
                select(func.count(HelpAct.id)).where(HelpAct.at >= month)
            ),
            "reached by help": db.session.scalar(select(func.count(distinct(HelpAct.helped_id)))),
            "kindness came back": db.session.scalar(select(func.count(CameBack.id))),
        }
        db.session.remove()
    return figures


def shown_figures(page) -> dict[str, int]:
    shown = {}
    for item in page.locator(".front-figures > div").all():
        label = item.locator("dt").inner_text()
        shown[label] = int(item.locator("dd").inner_text())
    return shown


def one_line(boxes: list[dict]) -> bool:
    """Every box starts on the first box's line (a wrapped item sits lower)."""
    top = boxes[0]["y"]
    return all(abs(box["y"] - top) < box["height"] / 2 for box in boxes)


def test_the_front_page_for_a_visitor_and_the_member_navigation(browser, live_server, community):
    # A visitor with JavaScript off: the whole page, the right figures, no private words.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Authors helping authors")).to_be_visible()
    shown = shown_figures(page)
    for label, value in community.items():
        assert [shown[key] for key in shown if label in key] == [value], label
    text = page.locator("main").inner_text()
    assert PUBLIC in text
    assert PRIVATE not in text and QUIET_HELPER not in text
    assert "Critique of my first chapter" not in text  # requests stay members-only
    assert re.search(r"2\s+open requests for critique", text)
    assert "Cat Quiet" not in page.locator(".front-thanks").inner_text()
    # Without JavaScript the links still lead somewhere.
    page.get_by_role("link", name="Meet the members").click()
    expect(page).to_have_url(re.compile(r"/members$"))
    context.close()

    # On a phone: nothing wider than the screen, the figures and the steps readable.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for selector in (".front-figures", ".front-steps", ".front-thanks"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    size = page.locator(".front-steps p").first.evaluate(
        "node => parseFloat(getComputedStyle(node).fontSize)"
    )
    assert size >= 14
    context.close()

    # A member at 1200 px: the navigation on one line, no "Menu".
    context = browser.new_context(base_url=live_server.url, viewport=WIDE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.get_by_label("Email").fill(MEMBER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body[data-user-id]")).to_have_count(1)
    page.goto("/requests")
    items = page.locator("nav.main-nav > ul > li")
    boxes = [item.bounding_box() for item in items.all()]
    assert len(boxes) >= 7 and all(boxes)
    assert one_line(boxes), boxes
    nav = page.locator("nav.main-nav").bounding_box()
    assert nav["height"] < 2 * boxes[0]["height"] + 24
    expect(page.locator(".nav-phone")).to_be_hidden()

    # On a phone: one "Menu", opened and followed with the keyboard alone.
    page.set_viewport_size(PHONE)
    page.goto("/requests")
    expect(page.locator("ul.nav-wide")).to_be_hidden()
    menu = page.locator(".nav-phone > summary")
    expect(menu).to_be_visible()
    expect(page.locator(".nav-phone").get_by_role("link", name="My help")).to_be_hidden()
    for _ in range(10):  # Tab from the top of the page to the menu
        page.keyboard.press("Tab")
        if menu.evaluate("node => node === document.activeElement"):
            break
    assert menu.evaluate("node => node === document.activeElement")
    page.keyboard.press("Enter")
    link = page.locator(".nav-phone").get_by_role("link", name="My help")
    expect(link).to_be_visible()
    page.keyboard.press("Tab")  # the first link of the menu, then the second
    page.keyboard.press("Tab")
    assert link.evaluate("node => node === document.activeElement")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/requests/mine$"))
    page.wait_for_load_state("load")  # its style sheets too, before measuring
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
    assert errors == []
