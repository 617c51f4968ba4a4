"""Finding 11: control and bidirectional characters never reach the database.

One cleaning (community/text.py) runs on every free-text field at the form
layer and in the domain paths that take text from elsewhere (chat, welcomes,
thanks). A NUL byte on PostgreSQL is a form answer, never a 500.
"""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from community.accounts.models import User
from community.admin.views import AnnouncementForm
from community.chat import service as chat
from community.db import db
from community.forms import KindredForm
from community.kindness.models import Thanks
from community.network import follows
from community.network.models import Welcome
from community.notifications.models import Notification
from community.text import clean_text
from tests.accounts.helpers import login
from tests.chat.conftest import make_match

HOSTILE = "Eve\x00\u202egnp.exe\u2066x\u2069\x1b[31m\x85\u0065\u0301 é\tend"
BAD = set("\x00\u202e\u2066\u2069\x1b\x85")


def assert_clean(text: str) -> None:
    assert not BAD & set(text), repr(text)
    assert unicodedata.is_normalized("NFC", text), repr(text)


def test_clean_text_rules():
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("tab\tand\nline") == "tab\tand\nline"
    assert clean_text("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") == ""
    assert clean_text("".join(map(chr, range(0x20)))) == "\t\n\n"  # CR becomes LF
    assert clean_text("".join(map(chr, range(0x7F, 0xA0)))) == ""
    assert clean_text("e\u0301") == "\u00e9"
    # Marks that cannot reverse text, and joiners emoji need, stay.
    assert clean_text("\u200e\u200f\u200d") == "\u200e\u200f\u200d"
    assert clean_text(None) == ""


def test_every_form_on_the_site_is_a_cleaning_form(app):
    # A form built on FlaskForm directly would skip the cleaning.
    from flask_wtf import FlaskForm

    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    strays = [
        f"{c.__module__}.{c.__qualname__}"
        for c in all_subclasses(FlaskForm)
        if c.__module__.startswith("community") and not issubclass(c, KindredForm)
    ]
    assert not strays
    with app.test_request_context(method="POST", data={"title": f"  {HOSTILE}  "}):
        form = AnnouncementForm()
        assert_clean(form.title.data)


def test_hostile_display_name_at_signup_and_in_the_profile(app, client, make_user):
    response = client.post(
        "/signup",
        data={"email": "eve@example.com", "display_name": HOSTILE, "password": "a long passphrase"},
    )
    assert response.status_code == 200
    name = db.session.scalar(select(User.display_name).where(User.email == "eve@example.com"))
    assert_clean(name)

    make_user(email="member@example.com")
    assert login(client, "member@example.com").status_code == 302
    page = client.get("/profile/edit")
    assert page.status_code == 200
    response = client.post(
        "/profile/edit",
        data={"display_name": HOSTILE, "about": HOSTILE, "stage": "drafting", "timezone": "UTC"},
    )
    assert response.status_code < 500
    db.session.rollback()
    member = db.session.scalar(select(User).where(User.email == "member@example.com"))
    assert_clean(member.display_name)
    assert_clean(member.profile.about)


def test_hostile_thanks_welcome_and_chat(app, client, make_user):
    ann = make_user(email="ann@example.com", display_name="Ann Author")
    ben = make_user(email="ben@example.com", display_name="Ben Beta")
    _, conversation = make_match(ann, ben)
    follows.follow(ben, ann)
    db.session.commit()
    assert login(client, "ann@example.com").status_code == 302

    text = f"Thank you so much for reading {HOSTILE} my whole draft."
    response = client.post(f"/members/{ben.id}/thank", data={"body": text})
    assert response.status_code < 500
    db.session.rollback()
    assert_clean(db.session.scalar(select(Thanks.body)))

    # Ben follows Ann, so Ann may welcome him.
    welcome = f"Hello Ben, what are you writing now? {HOSTILE}"
    response = client.post(f"/welcome/{ben.id}", data={"body": welcome})
    assert response.status_code < 500
    db.session.rollback()
    assert_clean(db.session.scalar(select(Welcome.body)))

    # The chat's domain path (the one Socket.IO uses) cleans as the forms do.
    sent = chat.send(ann, conversation.id, "client-1", HOSTILE)
    db.session.commit()
    assert_clean(sent.message.body)
    response = client.post(
        f"/chats/{conversation.id}", data={"body": HOSTILE, "client_id": "client-2"}
    )
    assert response.status_code == 302
    for body in db.session.scalars(select(chat.Message.body)):
        assert_clean(body)


def test_nul_in_an_announcement_is_not_a_500(app, client, make_user):
    make_user(email="admin@example.com", is_admin=True)
    make_user(email="member@example.com")
    assert login(client, "admin@example.com").status_code == 302
    response = client.post("/admin/announce", data={"title": HOSTILE})
    assert response.status_code == 302
    db.session.rollback()
    for data in db.session.scalars(select(Notification.data)):
        for value in data.values():
            if isinstance(value, str):
                assert_clean(value)


@pytest.mark.parametrize("field", ["q"])
def test_nul_in_searches_is_not_a_500(app, client, make_user, field):
    make_user(email="member@example.com")
    assert login(client, "member@example.com").status_code == 302
    for path in ("/members", "/requests"):
        assert client.get(path, query_string={field: HOSTILE}).status_code == 200
