"""Fixtures of the beta-reading room: real .docx files, an author, her readers."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from community.db import db
from community.helping import answers, matches, offers, requests
from community.manuscripts import conversion, service
from tests.builders import skill_ids


def build_docx(chapters: dict[str, list[str]], *, italic: str | None = None) -> bytes:
    """A real .docx: a Heading 1 per chapter, a paragraph per string; ``italic``
    names a word to set in italics wherever it appears."""
    document = docx.Document()
    for title, paragraphs in chapters.items():
        document.add_heading(title, level=1)
        for text in paragraphs:
            paragraph = document.add_paragraph()
            if italic and italic in text:
                before, after = text.split(italic, 1)
                paragraph.add_run(before)
                paragraph.add_run(italic).italic = True
                paragraph.add_run(after)
            else:
                paragraph.add_run(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rewrite_docx(data: bytes, change) -> bytes:
    """Copy a .docx, letting ``change(name, bytes)`` rewrite each part (or
    return extra parts under the name ``None``: a dict of name -> bytes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, change(entry.filename, source.read(entry)))
        for name, body in (change(None, b"") or {}).items():
            target.writestr(name, body)
    return out.getvalue()


BOOK = {
    "Chapter One": [
        "The lighthouse keeper counted the ships at dusk.",
        "Nobody came to the island in winter.",
        "***",
        "Then the letter arrived, sealed in green wax.",
    ],
    "Chapter Two": ["She opened it on the stairs.", "The ink had run in the rain."],
    "Chapter Three": ["The end, for now."],
}


def _post(owner, title, helpers=2):
    return requests.post_request(
        owner,
        requests.RequestInput(
            title=title,
            details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
            skill_ids=skill_ids("beta-reading"),
            genre_id=None,
            format="written",
            effort="about 6 hours",
            deadline=None,
            helpers_wanted=helpers,
        ),
    )


@pytest.fixture
def room(app, make_user):
    """Ann's request with a manuscript; Ben (invited) and Dee (not invited) are
    her matched helpers; Cal helps on another request; Ada is an admin."""
    ann = make_user(email="ann@example.com", display_name="Ann Author")
    ben = make_user(email="ben@example.com", display_name="Ben Reader")
    dee = make_user(email="dee@example.com", display_name="Dee Helper")
    cal = make_user(email="cal@example.com", display_name="Cal Elsewhere")
    ada = make_user(email="ada@example.com", display_name="Ada Admin", is_admin=True)
    other_author = make_user(email="oz@example.com", display_name="Oz Other")
    for helper in (ben, dee, cal):
        offers.save_offer(helper, offers.OfferInput(skill_ids("beta-reading"), [], 3, "", False))
    request = _post(ann, "Beta readers for my novel")
    ben_match = matches.accept_answer(ann, answers.answer_request(ben, request, "I would love to."))
    dee_match = matches.accept_answer(ann, answers.answer_request(dee, request, "Me too, gladly."))
    elsewhere = _post(other_author, "A look at my query letter", helpers=1)
    matches.accept_answer(other_author, answers.answer_request(cal, elsewhere, "Happy to help."))
    manuscript = service.add_manuscript(
        ann, request, "The Lighthouse", conversion.convert_upload(build_docx(BOOK))
    )
    reader = service.invite_reader(ann, manuscript, ben_match.id)
    db.session.commit()
    return {
        "ann": ann,
        "ben": ben,
        "dee": dee,
        "cal": cal,
        "ada": ada,
        "request": request,
        "manuscript": manuscript,
        "reader": reader,
        "ben_match": ben_match,
        "dee_match": dee_match,
    }
