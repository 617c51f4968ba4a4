"""Trust level 0 holds back links in everything a new member writes for
others, not only chat and welcome notes: the profile (name, about text,
links list), requests, offers, answers, invitations, comments, reasons given
to another member, thanks and replies. Each is refused on its field with the
same kind word, on SQLite and PostgreSQL; a member whose level allows links
is not refused; the pages keep what was typed. Chat messages alone may be
held for a moderator instead (``TRUST_NEW_LINKS = "hold"``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from community import trust
from community.accounts import service as accounts
from community.chat import service as chat
from community.chat.models import Message
from community.db import db, utcnow
from community.errors import Invalid
from community.helping import answers, matches, offers, requests
from community.helping.models import Answer, HelpRequest, Match
from community.kindness import service as kindness
from community.network import follows, welcomes
from community.profiles import service as profiles
from tests.builders import make_match, make_offer, skill_ids
from tests.conftest import base_config
from tests.factories import PASSWORD

TRUST_ON = pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True}])
LINK = "www.cheap-pens.com"
TEXT = f"I found just the help you need at {LINK} today"
REFUSED = trust.links_refusal()


@dataclass
class Scene:
    """Ann asked for help, Ben helps her (an active match); Carl offered too
    (pending), Dana was invited by Ann (pending), Eve is new with nothing
    open. All start trusted, so the setting up is not limited; the test
    sets the writer's level just before they write."""

    ann: object
    ben: object
    carl: object
    dana: object
    eve: object
    request: HelpRequest
    match: Match
    offer_answer: Answer
    invitation: Answer


@pytest.fixture
def scene(app, make_user) -> Scene:
    ann, ben, carl, dana, eve = (
        make_user(display_name=name, trust_level_set=3)
        for name in ("Ann Author", "Ben Helper", "Carl Reader", "Dana Editor", "Eve Newcomer")
    )
    match, _ = make_match(ann, ben)
    request = match.request
    make_offer(carl)
    offer_answer = answers.answer_request(carl, request, "I could read it this month.")
    make_offer(dana)
    invitation = answers.invite_volunteer(ann, request, dana)
    follows.follow(ann, ben)
    db.session.commit()
    return Scene(ann, ben, carl, dana, eve, request, match, offer_answer, invitation)


def _profile(user, **changes):
    values = dict(
        display_name=user.display_name, about="", stage=None, timezone=None, genres=[],
        wanted_skills=[], offered_skills=[], links=[],
    )  # fmt: skip
    values.update(changes)
    return profiles.update_profile(user, **values)


def _request_input(**changes) -> requests.RequestInput:
    values = dict(
        title="Notes on my opening chapter", details="A 3,000-word opening; is the hook clear?",
        skill_ids=skill_ids("beta-reading"), genre_id=None, format="written",
        effort="an hour", deadline=None, helpers_wanted=3,
    )  # fmt: skip
    values.update(changes)
    return requests.RequestInput(**values)


def _thanks(s: Scene):
    thanks = kindness.complete_match(s.ann, s.match, "Thank you so much for the careful notes.")
    db.session.commit()
    return thanks


# (who writes, the field refused, what they do with the text)
WRITES = {
    "profile about": ("ann", "about", lambda s, t: _profile(s.ann, about=t)),
    "profile name": ("ann", "display_name", lambda s, t: _profile(s.ann, display_name=LINK)),
    "profile links": (
        "ann", "links.1.url",
        lambda s, t: _profile(s.ann, links=[("", ""), ("My shop", f"https://{LINK}")]),
    ),
    "request title": ("eve", "title", lambda s, t: requests.post_request(
        s.eve, _request_input(title=f"Visit {LINK} now"))),
    "request details": ("eve", "details", lambda s, t: requests.post_request(
        s.eve, _request_input(details=t))),
    "request effort": ("eve", "effort", lambda s, t: requests.post_request(
        s.eve, _request_input(effort=f"see {LINK}"))),
    "request edit": ("ann", "details", lambda s, t: requests.edit_request(
        s.ann, s.request, _request_input(details=t))),
    "offer note": ("ben", "note", lambda s, t: offers.save_offer(s.ben, offers.OfferInput(
        skill_ids("beta-reading"), [], 2, t, False))),
    "answer note": ("eve", "note", lambda s, t: answers.answer_request(s.eve, s.request, t)),
    "invitation note": ("ann", "note", lambda s, t: answers.invite_volunteer(
        s.ann, s.request, s.eve, t)),
    "comment": ("carl", "body", lambda s, t: answers.comment_on_answer(
        s.carl, s.offer_answer, t)),
    "decline reason": ("ann", "reason", lambda s, t: answers.decline_answer(
        s.ann, s.offer_answer, t)),
    "invitation declined": ("dana", "reason", lambda s, t: answers.decline_invitation(
        s.dana, s.invitation, t)),
    "cancel reason": ("ben", "reason", lambda s, t: matches.cancel_match(s.ben, s.match, t)),
    "thanks": ("ann", "body", lambda s, t: kindness.complete_match(s.ann, s.match, t)),
    "thanks outside a match": ("ann", "body", lambda s, t: kindness.thank_outside(
        s.ann, s.carl, t)),
    "reply to thanks": ("ben", "reply", lambda s, t: kindness.reply_to_thanks(
        s.ben, _thanks(s), t)),
    "welcome note": ("ben", "body", lambda s, t: welcomes.send_welcome(s.ben, s.ann, t)),
}  # fmt: skip


@TRUST_ON
@pytest.mark.parametrize("kind", WRITES)
def test_a_new_members_link_is_refused_on_its_field(scene, kind):
    who, field, write = WRITES[kind]
    writer = getattr(scene, who)
    if kind == "invitation note":
        make_offer(scene.eve)
    writer.trust_level_set = 0
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        write(scene, TEXT)
    assert (refused.value.field, refused.value.message) == (field, REFUSED)
    db.session.rollback()


@TRUST_ON
@pytest.mark.parametrize("kind", WRITES)
def test_a_member_whose_level_allows_links_is_not_refused(scene, kind):
    who, _field, write = WRITES[kind]
    writer = getattr(scene, who)
    if kind == "invitation note":
        make_offer(scene.eve)
    writer.trust_level_set = 1
    assert trust.level_of(writer).links
    db.session.commit()
    write(scene, TEXT)
    db.session.commit()


@TRUST_ON
def test_a_name_with_a_link_is_refused_at_sign_up(app):
    with pytest.raises(Invalid) as refused:
        accounts.sign_up("pens@example.com", f"Pens at {LINK}", PASSWORD)
    assert (refused.value.field, refused.value.message) == ("display_name", REFUSED)
    db.session.rollback()
    assert accounts.sign_up("pens@example.com", "Penelope Pens", PASSWORD) is not None


@TRUST_ON
def test_an_edit_keeps_the_links_a_member_already_showed(scene):
    ann = scene.ann
    ann.trust_level_set = 1
    _profile(ann, about=f"My books: {LINK}", links=[("Shop", f"https://{LINK}")])
    db.session.commit()
    # A moderator sets Ann back to level 0: her profile may keep what it shows...
    ann.trust_level_set = 0
    db.session.commit()
    _profile(ann, about=f"My books: {LINK} (new edition)", links=[("My shop", f"https://{LINK}")])
    db.session.commit()
    # ...but not gain a new link.
    with pytest.raises(Invalid) as refused:
        _profile(ann, about=f"My books: {LINK} and www.other-pens.com")
    assert refused.value.field == "about"
    db.session.rollback()
    with pytest.raises(Invalid) as refused:
        _profile(ann, links=[("Shop", f"https://{LINK}"), ("Blog", "https://blog.example.org")])
    assert refused.value.field == "links.1.url"
    db.session.rollback()


@pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True, "TRUST_NEW_LINKS": "hold"}])
def test_only_chat_messages_are_held_everything_else_is_refused(scene):
    """Holding suits a chat message (the conversation goes on, the other side
    sees "held for a moderator's review" until a moderator lets it through);
    a form's writer is still at the form and can take the link out at once,
    and a held profile or request would hide the whole item from everyone."""
    scene.ben.trust_level_set = 0
    db.session.commit()
    conversation_id = chat.conversation_id_of_match(scene.match.id)
    sent = chat.send(scene.ben, conversation_id, "held-1", TEXT).message
    db.session.commit()
    assert chat.message_payload(sent)["body"] == chat.safety.HELD
    for kind in ("cancel reason", "offer note", "welcome note"):
        who, field, write = WRITES[kind]
        assert who == "ben"
        with pytest.raises(Invalid) as refused:
            write(scene, TEXT)
        assert (refused.value.field, refused.value.message) == (field, REFUSED)
        db.session.rollback()
    assert db.session.scalar(select(Message.body).where(Message.id == sent.id)) == TEXT


def test_the_rest_of_the_suite_runs_with_trust_limits_off(scene, tmp_path):
    """Other areas' tests make brand-new members: tests/conftest.py keeps the
    trust limits off for them, and links from a new member go through."""
    assert base_config(tmp_path, "sqlite://")["TRUST_LIMITS"] is False
    assert current_app.config["TRUST_LIMITS"] is False
    scene.ann.trust_level_set = 0
    db.session.commit()
    assert trust.link_refusal(scene.ann, TEXT) is None
    _profile(scene.ann, about=TEXT, links=[("Shop", f"https://{LINK}")])
    db.session.commit()


# --- the pages keep what was typed ---------------------------------------------------


def _login(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


@TRUST_ON
def test_the_pages_show_the_word_on_the_field_and_keep_the_text(scene, client):
    for member in (scene.ann, scene.ben, scene.carl, scene.eve):
        member.trust_level_set = 0
    db.session.commit()
    posts = [
        (scene.ann, "/profile/edit", {"display_name": "Ann Author", "about": TEXT}),
        (scene.eve, "/requests/new", {
            "title": "Notes on my opening chapter", "details": TEXT, "skills": "beta-reading",
            "format": "written", "helpers_wanted": "1"}),
        (scene.eve, f"/requests/{scene.request.id}/answer", {"note": TEXT}),
        (scene.carl, f"/answers/{scene.offer_answer.id}/comments", {"body": TEXT}),
        (scene.ben, f"/matches/{scene.match.id}/cancel", {"reason": TEXT}),
        (scene.ann, f"/members/{scene.carl.id}/thank", {"body": TEXT}),
    ]  # fmt: skip
    for member, url, data in posts:
        _login(client, member)
        page = client.post(url, data=data)
        text = page.get_data(as_text=True)
        assert page.status_code == 400, url
        assert REFUSED in text and TEXT in text, url
    # The helper's reply to a thank-you: its own small page, the reply kept.
    scene.ann.trust_level_set = 3
    db.session.commit()
    thanks = _thanks(scene)
    _login(client, scene.ben)
    page = client.post(f"/thanks/{thanks.id}/reply", data={"reply": TEXT})
    assert page.status_code == 400
    assert REFUSED in page.get_data(as_text=True) and TEXT in page.get_data(as_text=True)
    # Signing up: the name is kept, with the word on it.
    client.post("/logout")
    page = client.post(
        "/signup",
        data={"email": "pens@example.com", "display_name": f"Pens at {LINK}", "password": PASSWORD},
    )
    # (The sign-up page answers a refused form with a 200, as it always has.)
    assert REFUSED in page.get_data(as_text=True)
    assert f"Pens at {LINK}" in page.get_data(as_text=True)


@TRUST_ON
def test_the_quick_answer_about_links_is_the_levels_answer(make_user):
    """trust.links_allowed skips level_of's queries; it must say the same."""
    now = utcnow()
    members = [
        make_user(email_verified_at=None),
        make_user(email_verified_at=now - timedelta(days=2)),
        make_user(email_verified_at=now - timedelta(days=3, minutes=1)),
        make_user(email_verified_at=now - timedelta(days=200)),
        make_user(email_verified_at=now - timedelta(days=200), trust_level_set=0),
        make_user(email_verified_at=None, trust_level_set=2),
    ]
    for member in members:
        assert trust.links_allowed(member) == trust.level_of(member).links
    assert [trust.links_allowed(m) for m in members] == [False, False, True, True, False, True]
