"""Personal welcomes: sending one, the two rules the server enforces (only a link;
one text pasted to many) and the others, the composer page and its coach's JSON."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from community.db import db, utcnow
from community.network import welcomes
from community.network.follows import NetworkError
from community.network.models import Welcome
from community.network.welcomes import BODY_MAX, TEMPLATE_LIMIT, WELCOMES_PER_DAY
from community.notifications.models import Notification
from tests.builders import add_follows, notifications_of
from tests.factories import PASSWORD
from tests.network.conftest import login

PERSONAL = "Hi Maya! I see you write fantasy. What world are you building, and how can I help?"


@pytest.fixture
def sam(make_member):
    """The member who was followed, and writes the welcomes."""
    return make_member("Sam Sender", genres=["fantasy"], email="sam@example.com")


@pytest.fixture
def maya(make_member, sam):
    """A new follower of Sam's, with a profile to ask about."""
    maya = make_member(
        "Maya Okafor",
        genres=["fantasy", "thriller"],
        wants=["query-letters"],
        about="A cosy mystery whose detective is a retired lighthouse keeper.",
        stage="querying",
        email="maya@example.com",
    )
    add_follows([(maya, sam)])
    return maya


def welcome_count() -> int:
    return db.session.scalar(select(func.count(Welcome.id)))


def notification_count(kind: str = "welcome_received") -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == kind))


def refused(sender, recipient, body) -> NetworkError:
    """Try to send; assert that it is refused and changes nothing; return the error."""
    before = (welcome_count(), notification_count())
    with pytest.raises(NetworkError) as error:
        welcomes.send_welcome(sender, recipient, body)
    db.session.rollback()
    assert (welcome_count(), notification_count()) == before
    return error.value


def followers_of(member, names, make_member) -> list:
    """New members following ``member``, named ``names``."""
    made = [make_member(name) for name in names]
    add_follows([(follower, member) for follower in made])
    return made


# --- the rules -----------------------------------------------------------------------


def test_a_welcome_reaches_the_follower(app, sam, maya, mailbox, client):
    welcome = welcomes.send_welcome(sam, maya, f"  {PERSONAL}\r\n\r\nSam  ")
    db.session.commit()

    assert (welcome.sender_id, welcome.recipient_id) == (sam.id, maya.id)
    assert welcome.body == f"{PERSONAL}\n\nSam"
    assert welcomes.already_welcomed(sam.id, maya.id)
    assert not welcomes.already_welcomed(maya.id, sam.id)
    [note] = notifications_of(maya, "welcome_received")
    assert note.data == {"user_id": sam.id, "name": "Sam Sender", "excerpt": welcome.body}
    [message] = mailbox.to("maya@example.com")
    assert "Sam Sender wrote to you" in mailbox.text(message)
    assert "http://kindred.test/welcomes" in mailbox.text(message)

    login(client, maya)
    page = client.get("/welcomes")
    assert page.status_code == 200
    assert "Sam Sender" in page.text and html.escape(PERSONAL) in page.text
    assert "Sam Sender wrote to you" in client.get("/notifications/").text


def test_a_welcome_is_shown_as_text(client, sam, maya):
    welcomes.send_welcome(sam, maya, "<script>alert(1)</script> What do you write?\n\nSam")
    db.session.commit()
    login(client, maya)
    for path in ("/welcomes", "/notifications/"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; What do you write?" in page


def test_a_long_welcome_is_shortened_in_the_notification(app, sam, maya):
    body = "What are you working on? " + "Tell me everything about your world. " * 20
    welcomes.send_welcome(sam, maya, body)
    db.session.commit()
    [note] = notifications_of(maya, "welcome_received")
    excerpt = note.data["excerpt"]
    assert excerpt.endswith("…") and len(excerpt) <= 120
    assert body.startswith(excerpt[:-1])


def test_no_welcome_to_someone_who_does_not_follow_you(app, sam, maya):
    # Maya follows Sam, not the other way round: Sam may welcome Maya, Maya not Sam.
    error = refused(maya, sam, "Hi Sam! What are you writing?")
    assert str(error) == "You can welcome members who follow you."
    assert not welcomes.can_welcome(maya, sam)
    assert welcomes.can_welcome(sam, maya)


def test_an_unverified_member_cannot_welcome(app, make_member):
    sam = make_member("Sam Sender", email_verified_at=None)
    maya = make_member("Maya Okafor")
    add_follows([(maya, sam)])
    assert "confirm your email address" in str(refused(sam, maya, PERSONAL))


def test_one_welcome_per_follower(app, sam, maya):
    welcomes.send_welcome(sam, maya, PERSONAL)
    db.session.commit()
    error = refused(sam, maya, "And another thing: what is your favourite book?")
    assert str(error) == "You have already welcomed Maya Okafor."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write a few words to them."),
        ("   \n\t ", "Write a few words to them."),
        ("x" * (BODY_MAX + 1), "Keep it short: at most 1,000 characters."),
        ("https://example.com/buy", "not only a link"),
        ("www.example.com", "not only a link"),
        ("  https://example.com/buy \n https://example.com/free  ", "not only a link"),
    ],
    ids=["empty", "blank", "too-long", "a-link", "a-www-link", "two-links"],
)
def test_text_problems_are_refused_on_the_body(app, sam, maya, body, message):
    error = refused(sam, maya, body)
    assert message in str(error)
    assert error.field == "body"


def test_the_longest_welcome_is_fine(app, sam, maya):
    body = "What are you writing? " + "x" * (BODY_MAX - 22)
    assert len(body) == BODY_MAX
    welcomes.send_welcome(sam, maya, body)
    db.session.commit()
    assert welcome_count() == 1


def test_a_link_with_words_of_your_own_is_fine(app, sam, maya):
    welcomes.send_welcome(sam, maya, "Loved your post on query letters! https://example.com/q")
    db.session.commit()
    assert welcome_count() == 1


TEMPLATE = "Hi {name}, thanks for following!! Check out my book: https://example.com/buy"


def test_the_same_text_to_a_fourth_person_in_a_day_is_refused(app, sam, make_member):
    people = followers_of(sam, ["Ann Lee", "Bob Ray", "Cat Ng", "Dan Ode"], make_member)
    for person in people[:TEMPLATE_LIMIT]:
        first_name = person.display_name.split()[0]
        welcomes.send_welcome(sam, person, TEMPLATE.format(name=first_name))
        db.session.commit()
    assert welcome_count() == TEMPLATE_LIMIT

    # Case, punctuation and the name changed: still the same note.
    error = refused(
        sam, people[-1], "HI DAN -- thanks for following; check out my book https://example.com/buy"
    )
    assert error.field == "body"
    assert str(error) == (
        "You have sent this same note to 3 people today. Write Dan something of their own."
    )
    # Something of their own is fine.
    welcomes.send_welcome(sam, people[-1], "Hi Dan! What are you writing at the moment?")
    db.session.commit()
    assert welcome_count() == TEMPLATE_LIMIT + 1


def test_the_same_text_is_fine_again_after_a_day(app, sam, make_member):
    people = followers_of(sam, ["Ann Lee", "Bob Ray", "Cat Ng", "Dan Ode"], make_member)
    for person in people[:TEMPLATE_LIMIT]:
        welcomes.send_welcome(sam, person, TEMPLATE.format(name=person.display_name))
    db.session.commit()
    db.session.execute(
        update(Welcome).values(created_at=utcnow() - welcomes.RECENT - timedelta(minutes=1))
    )
    db.session.commit()
    welcomes.send_welcome(sam, people[-1], TEMPLATE.format(name=people[-1].display_name))
    db.session.commit()
    assert welcome_count() == TEMPLATE_LIMIT + 1


def test_twenty_welcomes_a_day_then_refused(app, sam, make_member):
    from community.notifications import service

    people = followers_of(sam, [f"Reader {n}" for n in range(WELCOMES_PER_DAY + 1)], make_member)
    for person in people:  # no emails: this test is about the count
        service.set_preference(person.id, "welcome_received", "off")
    for number, person in enumerate(people[:-1]):
        welcomes.send_welcome(
            sam, person, f"Welcome! Is book {number + 100} of your series out yet?"
        )
    db.session.commit()
    assert welcome_count() == WELCOMES_PER_DAY

    error = refused(sam, people[-1], "Welcome! What are you working on?")
    assert str(error) == (
        "You have written 20 welcomes today; the next ones can wait until tomorrow."
    )


def test_the_coach_sees_what_the_sender_sent_others(app, sam, make_member):
    people = followers_of(sam, ["Ann Lee", "Bob Ray", "Cat Ng"], make_member)
    for person in people[:2]:
        welcomes.send_welcome(sam, person, TEMPLATE.format(name=person.display_name))
    db.session.commit()
    coaching = welcomes.coach_draft(sam, people[2], TEMPLATE.format(name="Cat"))
    assert "template" in coaching.codes(ok=False)
    # A note to Ann herself (were it sent again) is not counted against Ann's.
    coaching = welcomes.coach_draft(sam, people[0], TEMPLATE.format(name="Ann"))
    assert "template" not in coaching.codes()


# --- the composer ---------------------------------------------------------------------


def composer_hints(page_text: str) -> dict[str, bool]:
    return {
        code: state == "ok"
        for state, code in re.findall(r'class="hint hint-(ok|todo)" data-code="(\w+)"', page_text)
    }


def textarea(page_text: str) -> str:
    match = re.search(r"<textarea[^>]*>(.*?)</textarea>", page_text, re.S)
    assert match, "no textarea"
    return html.unescape(match.group(1)).lstrip("\r\n")


def test_the_composer_shows_their_profile_and_the_hints(client, sam, maya):
    login(client, sam)
    page = client.get(f"/welcome/{maya.id}")
    assert page.status_code == 200
    assert "Welcome Maya Okafor" in page.text
    # Their profile beside the composer, so there is something to ask about.
    assert "Thriller and suspense, Fantasy" in page.text
    assert "Query letters" in page.text
    assert "retired lighthouse keeper" in page.text
    assert "Querying agents" in page.text
    assert composer_hints(page.text) == {
        "asks": False,
        "about_them": False,
        "mentions_them": False,
    }
    assert "they write thriller and suspense" in page.text
    assert '<meta name="csrf-token" content="' in page.text
    assert f'data-coach-url="/welcome/{maya.id}/coach"' in page.text
    assert "js/coach.js" in page.text


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("https://example.com/buy", "not only a link"),
        ("", "Write a few words to them."),
        ("   ", "Write a few words to them."),
        ("Hello? " + "x" * BODY_MAX, "Keep it short: at most 1,000 characters."),
    ],
    ids=["a-link", "empty", "blank", "too-long"],
)
def test_a_refused_welcome_keeps_the_text_and_says_why(client, sam, maya, body, error):
    login(client, sam)
    page = client.post(f"/welcome/{maya.id}", data={"body": body})
    assert page.status_code == 400
    assert error in page.text
    assert 'class="field-error" role="alert"' in page.text
    assert textarea(page.text) == body
    assert welcome_count() == 0


def test_a_refused_template_says_so_on_the_body(client, sam, make_member):
    people = followers_of(sam, ["Ann Lee", "Bob Ray", "Cat Ng", "Dan Ode"], make_member)
    for person in people[:TEMPLATE_LIMIT]:
        welcomes.send_welcome(sam, person, TEMPLATE.format(name=person.display_name))
    db.session.commit()
    login(client, sam)
    body = TEMPLATE.format(name="Dan")
    page = client.post(f"/welcome/{people[-1].id}", data={"body": body})
    assert page.status_code == 400
    assert "You have sent this same note to 3 people today. Write Dan something" in page.text
    assert textarea(page.text) == body
    assert composer_hints(page.text)["template"] is False  # the coach says it too


def test_a_welcome_sent_from_the_composer(client, sam, maya):
    login(client, sam)
    response = client.post(f"/welcome/{maya.id}", data={"body": PERSONAL})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{maya.id}"
    assert "Your welcome is on its way to Maya Okafor." in client.get("/feed").text
    [welcome] = db.session.scalars(select(Welcome)).all()
    assert (welcome.sender_id, welcome.recipient_id, welcome.body) == (sam.id, maya.id, PERSONAL)

    # A second one is refused on the form, not on the body.
    page = client.post(f"/welcome/{maya.id}", data={"body": "Me again! How are you?"})
    assert page.status_code == 400
    assert "You have already welcomed Maya Okafor." in page.text
    assert welcome_count() == 1


def test_the_composer_is_only_for_your_followers(client, sam, maya, make_member):
    stranger = make_member("Stranger Danger")
    login(client, maya)  # Sam does not follow Maya back
    assert client.get(f"/welcome/{sam.id}").status_code == 404
    assert client.post(f"/welcome/{sam.id}", data={"body": PERSONAL}).status_code == 404
    assert client.post(f"/welcome/{sam.id}/coach", json={"text": "Hi?"}).status_code == 404
    assert client.get(f"/welcome/{stranger.id}").status_code == 404
    assert client.get(f"/welcome/{maya.id}").status_code == 404  # yourself
    assert client.get("/welcome/999999").status_code == 404
    assert welcome_count() == 0


def test_the_composer_needs_a_login(client, sam, maya):
    for response in (
        client.get(f"/welcome/{maya.id}"),
        client.post(f"/welcome/{maya.id}", data={"body": PERSONAL}),
        client.post(f"/welcome/{maya.id}/coach", json={"text": "Hi?"}),
        client.get("/welcomes"),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert welcome_count() == 0


def test_no_welcomes_yet(client, maya):
    login(client, maya)
    page = client.get("/welcomes")
    assert page.status_code == 200 and "No welcomes yet" in page.text


# --- the coach's JSON -------------------------------------------------------------------


def test_the_coach_answers_a_draft_as_json(client, sam, maya):
    login(client, sam)
    response = client.post(f"/welcome/{maya.id}/coach", json={"text": PERSONAL})
    assert response.status_code == 200
    data = response.get_json()
    hints = {hint["code"]: hint["ok"] for hint in data["hints"]}
    assert hints == {"asks": True, "about_them": True, "mentions_them": True}
    assert data["score"] == 3
    assert all(hint["message"] for hint in data["hints"])

    data = client.post(f"/welcome/{maya.id}/coach", json={"text": ""}).get_json()
    assert {hint["code"]: hint["ok"] for hint in data["hints"]}["asks"] is False


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("text=hello", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("", "application/json"),
        (json.dumps(["hello"]), "application/json"),
        (json.dumps({"draft": "hello"}), "application/json"),
        (json.dumps({"text": 42}), "application/json"),
        (json.dumps({"text": None}), "application/json"),
        (json.dumps({"text": ["a", "b"]}), "application/json"),
        (json.dumps({"text": "x" * (4 * BODY_MAX + 1)}), "application/json"),
    ],
    ids=[
        "a-form",
        "broken-json",
        "nothing",
        "a-list",
        "no-text",
        "a-number",
        "null",
        "a-list-of-text",
        "huge-text",
    ],
)
def test_bad_payloads_get_a_400_in_json(client, sam, maya, payload, content_type):
    login(client, sam)
    response = client.post(
        f"/welcome/{maya.id}/coach",
        data=payload,
        content_type=content_type,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["error"]["code"] == 400


def test_a_payload_beyond_the_sites_limit_is_refused_not_a_crash(app, client, sam, maya):
    login(client, sam)
    response = client.post(
        f"/welcome/{maya.id}/coach",
        data=json.dumps({"text": "x" * app.config["MAX_CONTENT_LENGTH"]}),
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == 413


def csrf_token_in(page_text: str, pattern: str) -> str:
    match = re.search(pattern, page_text)
    assert match, f"no token matching {pattern}"
    return match.group(1)


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
def test_with_csrf_on_the_coach_takes_the_pages_token(client, sam, maya):
    login_page = client.get("/login").text
    token = csrf_token_in(login_page, r'name="csrf_token" type="hidden" value="([^"]+)"')
    response = client.post(
        "/login", data={"email": sam.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302

    page = client.get(f"/welcome/{maya.id}").text
    meta_token = csrf_token_in(page, r'<meta name="csrf-token" content="([^"]+)">')

    response = client.post(
        f"/welcome/{maya.id}/coach",
        json={"text": "What are you writing?"},
        headers={"X-CSRFToken": meta_token},
    )
    assert response.status_code == 200
    assert response.get_json()["hints"][0] == {
        "code": "asks",
        "ok": True,
        "message": "You ask Maya something: that is how it starts.",
    }

    for headers in ({}, {"X-CSRFToken": "not-the-token"}):
        response = client.post(
            f"/welcome/{maya.id}/coach",
            json={"text": "What are you writing?"},
            headers={**headers, "Accept": "application/json"},
        )
        assert response.status_code == 400
        assert "did not come from this site" in response.get_json()["error"]["message"]

    # The composer's own form needs its token too.
    assert client.post(f"/welcome/{maya.id}", data={"body": PERSONAL}).status_code == 400
    form_token = csrf_token_in(page, r'name="csrf_token" type="hidden" value="([^"]+)"')
    response = client.post(f"/welcome/{maya.id}", data={"body": PERSONAL, "csrf_token": form_token})
    assert response.status_code == 302
    assert welcome_count() == 1


def test_between_lists_the_welcomes_of_one_pair_oldest_first(app, make_user):
    ann, ben, cat = make_user(), make_user(), make_user()
    now = utcnow()
    for minutes, sender, recipient in [(3, ann, ben), (1, ben, ann), (2, cat, ann)]:
        db.session.add(
            Welcome(
                sender_id=sender.id,
                recipient_id=recipient.id,
                body=f"note from {sender.id}",
                fingerprint=str(minutes),
                created_at=now - timedelta(minutes=minutes),
            )
        )
    db.session.commit()
    assert [(w.sender_id, w.recipient_id) for w in welcomes.between(ann.id, ben.id)] == [
        (ann.id, ben.id),
        (ben.id, ann.id),
    ]
    assert [w.sender_id for w in welcomes.between(ben.id, cat.id)] == []
