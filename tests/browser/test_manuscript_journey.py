"""The beta-reading room in real browsers: Ann uploads a .docx to her request
and invites Ben; Ben reads chapter 1 on a phone, selects a phrase and comments,
answers Ann's question and stops at chapter 2; Ann sees the comment live and
replies; a helper of another request and an admin get 404; Ann revokes Ben
and his open page loses the text; Ann downloads the comments as .docx and the
comment is anchored to the phrase."""

from __future__ import annotations

import time

import docx
import pytest
from playwright.sync_api import expect

from community.db import db
from tests.browser.test_chat_journey import Member, members  # noqa: F401  (fixture)
from tests.builders import make_match
from tests.factories import UserFactory
from tests.manuscripts.conftest import BOOK, build_docx

pytestmark = pytest.mark.browser

ANN, BEN, CAL, ADA = (f"{name}@example.com" for name in ("ann", "ben", "cal", "ada"))
PHRASE = "counted the ships"
COMMENT = "I love this image: it sets the whole mood."
QUESTION = "Did the ending surprise you?"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _setup(live_server) -> int:
    live_server.app.config["WTF_CSRF_ENABLED"] = True
    with live_server.app.app_context():
        ann = UserFactory(email=ANN, display_name="Ann Author")
        ben = UserFactory(email=BEN, display_name="Ben Beta")
        cal = UserFactory(email=CAL, display_name="Cal Elsewhere")
        UserFactory(email=ADA, display_name="Ada Admin", is_admin=True)
        oz = UserFactory(email="oz@example.com", display_name="Oz Other")
        db.session.commit()
        match, _ = make_match(ann, ben)
        make_match(oz, cal)
        return match.request_id


def _open_live(member: Member, url: str) -> None:
    """Open ``url`` and wait until both of its Socket.IO connections (the
    chat badge's and the manuscript's) are in the member's room."""
    before = member.sockets
    member.page.goto(url)
    deadline = time.monotonic() + 10
    while member.sockets < before + 2:
        assert time.monotonic() < deadline, f"{url} did not connect"
        member.page.wait_for_timeout(50)


def _select(page, phrase: str) -> None:
    # The page's script (deferred) listens for the selection; on a busy
    # machine it may not have run yet: it adds the paragraphs' "Comment"
    # buttons when it has.
    expect(page.locator("button.comment-paragraph").first).to_be_attached()
    page.evaluate(
        """(phrase) => {
          const paragraph = [...document.querySelectorAll('.paragraph')]
            .find((p) => p.textContent.includes(phrase));
          const node = paragraph.firstChild;
          const start = node.textContent.indexOf(phrase);
          const range = document.createRange();
          range.setStart(node, start);
          range.setEnd(node, start + phrase.length);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          paragraph.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }""",
        phrase,
    )


# A long walk through seven members' pages: more than the default two minutes
# when the machine is busy.
@pytest.mark.timeout(360)
def test_the_beta_reading_journey(live_server, members, tmp_path):  # noqa: F811
    request_id = _setup(live_server)
    book = tmp_path / "lighthouse.docx"
    book.write_bytes(build_docx(BOOK, italic="green"))

    # Ann adds her manuscript to the request and invites Ben.
    ann = members(ANN)
    ann.page.goto(f"/requests/{request_id}")
    ann.page.get_by_role("link", name="Add your manuscript").click()
    ann.page.get_by_label("Title").fill("The Lighthouse")
    ann.page.get_by_label("A .docx, .md or .txt file").set_input_files(str(book))
    ann.page.get_by_role("button", name="Share it").click()
    expect(ann.page.get_by_role("heading", name="The Lighthouse")).to_be_visible()
    manuscript_url = ann.page.url
    ann.page.get_by_label("Helper to invite").select_option(label="Ben Beta")
    ann.page.get_by_role("button", name="Invite to read").click()
    expect(ann.page.get_by_text("Ben Beta can read it now.")).to_be_visible()
    ann.page.get_by_role("link", name="Chapter One").click()
    ann.page.get_by_label("Ask your readers about this chapter").fill(QUESTION)
    ann.page.get_by_role("button", name="Ask").click()
    chapter_one = ann.page.url.split("#")[0]
    _open_live(ann, chapter_one)

    # Ben reads chapter 1 on a phone, selects a phrase and comments.
    ben = members(BEN, **PHONE)
    ben.page.goto(manuscript_url)
    ben.page.get_by_role("link", name="Chapter One").click()
    expect(ben.page.get_by_text("with Ben Beta")).to_be_visible()  # the reader's mark
    _select(ben.page, PHRASE)
    expect(ben.page.get_by_label("The words you selected")).to_have_value(PHRASE)
    ben.page.get_by_label("Your comment").fill(COMMENT)
    ben.page.get_by_role("button", name="Save comment").click()
    expect(ben.page.get_by_text("Your comment is saved.")).to_be_visible()

    # Ann sees it on the paragraph, live.
    comment = ann.page.locator(".paragraph-block ul.comments li", has_text=COMMENT)
    expect(comment).to_be_visible()
    expect(comment).to_contain_text(PHRASE)

    # Ben answers the question, marks the chapter read and stops at chapter 2.
    ben.page.get_by_label("Your answer").fill("Yes, completely!")
    ben.page.get_by_role("button", name="Save answer").click()
    expect(ben.page.get_by_text("Your answer is saved.")).to_be_visible()
    ben.page.get_by_role("button", name="I have read this chapter").click()
    expect(ben.page.get_by_role("heading", name="Chapter Two")).to_be_visible()
    _open_live(ben, ben.page.url.split("#")[0])

    # Ann replies to the comment.
    ann.page.reload()
    ann.page.get_by_text("Reply", exact=True).click()
    ann.page.get_by_label("Your reply").fill("Thank you, Ben!")
    ann.page.get_by_role("button", name="Send reply").click()
    expect(ann.page.get_by_text("Your reply is sent.")).to_be_visible()
    ann.page.goto(manuscript_url)
    expect(ann.page.get_by_text("has read 1 of 3 chapters")).to_be_visible()

    # A helper of another request and an admin get 404.
    for email in (CAL, ADA):
        outsider = members(email)
        assert outsider.page.goto(manuscript_url).status == 404
        assert outsider.page.goto(chapter_one).status == 404
        outsider.expected_error("404")
        outsider.close()

    # Ann revokes Ben: his open page loses the text.
    ann.page.get_by_role("button", name="Revoke Ben Beta's access").click()
    expect(ann.page.get_by_text("Ben Beta can no longer read it.")).to_be_visible()
    expect(ben.page.locator("#access-ended")).to_be_visible()
    expect(ben.page.locator("#manuscript")).to_have_count(0)
    assert ben.page.goto(chapter_one).status == 404
    ben.expected_error("404")

    # Ann downloads the comments as Word, with the comment on the phrase.
    with ann.page.expect_download() as download:
        ann.page.get_by_role("link", name="Download as Word (.docx) with comments").click()
    path = tmp_path / "comments.docx"
    download.value.save_as(path)
    exported = docx.Document(str(path))
    assert [c.author for c in exported.comments] == ["Ben Beta"]
    assert next(iter(exported.comments)).text.startswith(COMMENT)
    body = exported.element.body.xml
    anchored = body[body.index("commentRangeStart") : body.index("commentRangeEnd")]
    assert PHRASE in anchored and "lighthouse keeper" not in anchored
    ann.close()
    ben.close()
