"""Kindness comes back, in real browsers: three members complete a chain of
matches through the site (each requester marks the help received on the match
page and writes a thank-you), and the first member's help comes back to them:
their notifications show the chain in names, and their ripple page shows the
counts and the picture. A thank-you too short is refused, its text kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from community.db import db
from tests.builders import make_match
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

ANN = "ann@example.com"
BEA = "bea@example.com"
CAL = "cal@example.com"
TOO_SHORT = "Thanks a lot"
THANKS = {
    "bea": "Ann, your notes on my middle chapters saved the book. Thank you!",
    "cal": "Bea read every page twice and found the heart of my story. Thank you.",
    "ann": "Cal, your critique made my opening sing at last. I am so grateful.",
}
CHAIN = "You helped Bea Bright today; Bea Bright helped Cal Cole today; Cal Cole helped you today"


class Member:
    """One member's browser: a context of their own, every script error kept."""

    def __init__(self, browser, live_server, email: str):
        self.context = browser.new_context(base_url=live_server.url)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.goto("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.locator("body[data-user-id]")).to_have_count(1)  # logged in

    def expected_error(self, text: str) -> None:
        """Forget an error the test caused on purpose (a 400 answer, say)."""
        assert any(text in error for error in self.errors), f"no {text!r} in {self.errors}"
        self.errors = [error for error in self.errors if text not in error]

    def thank(self, match_id: int, helper_name: str, body: str) -> None:
        """Mark the help of match ``match_id`` received, with ``body`` as thanks."""
        page = self.page
        page.goto(f"/matches/{match_id}")
        expect(page.get_by_role("heading", name=f"Your match with {helper_name}")).to_be_visible()
        page.get_by_label("Your thank-you").fill(body)
        page.get_by_role("button", name="Mark the help received").click()
        expect(page.get_by_text("Thank you! Your helper will see your thanks.")).to_be_visible()
        expect(page.get_by_text("Completed", exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name="Your thank-you")).to_be_visible()
        expect(page.locator(".thanks blockquote").first).to_have_text(body)


@pytest.fixture
def members(browser, live_server):
    """``members(email)``: that member's browser, logged in through the form."""
    made: list[Member] = []

    def make(email: str) -> Member:
        member = Member(browser, live_server, email)
        made.append(member)
        return member

    yield make
    for member in made:
        member.context.close()
    errors = [member.errors for member in made if member.errors]
    assert not errors, f"the browsers reported errors: {errors}"


def _chain_of_matches(live_server) -> tuple[int, dict[str, int]]:
    """Ann, Bea and Cal; three active matches: Ann helps Bea, Bea helps Cal, Cal
    helps Ann. Returns Ann's id and the match ids by requester."""
    # As in production: every form needs its CSRF token.
    live_server.app.config["WTF_CSRF_ENABLED"] = True
    with live_server.app.app_context():
        ann = UserFactory(email=ANN, display_name="Ann Author")
        bea = UserFactory(email=BEA, display_name="Bea Bright")
        cal = UserFactory(email=CAL, display_name="Cal Cole")
        db.session.commit()
        matches = {
            "bea": make_match(bea, ann)[0].id,
            "cal": make_match(cal, bea)[0].id,
            "ann": make_match(ann, cal)[0].id,
        }
        return ann.id, matches


def test_kindness_comes_back_along_a_chain(live_server, members):
    ann_id, match_ids = _chain_of_matches(live_server)

    # Bea was helped by Ann. A thank-you too short is refused, the text kept.
    bea = members(BEA)
    page = bea.page
    page.goto(f"/matches/{match_ids['bea']}")
    expect(page.get_by_role("heading", name="Mark the help received")).to_be_visible()
    page.get_by_label("Your thank-you").fill(TOO_SHORT)
    page.get_by_role("button", name="Mark the help received").click()
    expect(page.get_by_text("Say a little more: at least a sentence")).to_be_visible()
    expect(page.get_by_label("Your thank-you")).to_have_value(TOO_SHORT)
    expect(page.get_by_text("Active", exact=True)).to_be_visible()
    bea.expected_error("400")
    # Then a real one: match 1 is completed (Ann -> Bea).
    bea.thank(match_ids["bea"], "Ann Author", THANKS["bea"])

    # Cal was helped by Bea (Bea -> Cal), then Ann by Cal (Cal -> Ann): it comes back.
    members(CAL).thank(match_ids["cal"], "Bea Bright", THANKS["cal"])
    ann = members(ANN)
    ann.thank(match_ids["ann"], "Cal Cole", THANKS["ann"])

    # Ann's notifications: her kindness came back, the chain in names.
    page = ann.page
    page.goto("/notifications")
    came_back = page.locator("article.notification").filter(has_text="Kindness came back to you!")
    expect(came_back).to_have_count(1)
    expect(came_back).to_contain_text(f"Kindness came back to you! {CHAIN}.")
    expect(came_back).to_have_class(re.compile(r"\bunread\b"))

    # Opening it leads to her ripple page: the counts, the chain and the picture.
    came_back.get_by_role("button", name="Open").click()
    expect(page).to_have_url(re.compile(rf"/members/{ann_id}/ripples$"))
    expect(page.get_by_role("heading", name="Your ripples of kindness")).to_be_visible()
    counts = page.locator("dl.ripple-counts")
    for label, value in (
        ("Helped directly", "1"),
        ("People reached", "2"),  # Bea, and Cal through Bea; not Ann herself
        ("Longest chain", "3"),
        ("Came back", "1"),
    ):
        expect(counts.locator("div").filter(has=page.locator("dt", has_text=label))).to_have_text(
            re.compile(rf"{label}\s*{value}$")
        )
    expect(page.locator("ul.came-back-list li")).to_have_text([f"{CHAIN}."])
    picture = page.get_by_role("img", name="Ripples of Ann Author's help")
    expect(picture).to_be_visible()
    expect(picture.locator("g.person")).to_have_count(3)  # Ann, Bea, Cal
    expect(picture.locator("line.act")).to_have_count(2)
    expect(picture.locator("g.person.level-1 text")).to_have_text(["Bea Bright"])
    expect(picture.locator("desc")).to_have_text(
        "Ann Author helped 1 person directly; the help reached 2 people."
    )

    # Nobody else's help came back: Bea's page shows none.
    page.goto(f"/members/{ann_id + 1}/ripples")
    expect(page.get_by_role("heading", name="Ripples of Bea Bright's help")).to_be_visible()
    expect(page.get_by_text("Not yet. Help travels: give it time.")).to_be_visible()
