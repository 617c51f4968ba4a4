"""Who may use which route with which method: a row for every route and method,
a column for every role.

Adding a route, or a method to a route, without its row here fails
``test_every_route_and_method_has_a_row``. Roles: anonymous; ``unverified``, a
member who has not confirmed their email; ``owner``, a verified member who
owns the resources in the paths; ``other``, the other party (matched with the
owner, follows them, thanked them); ``third``, a verified member with no part
in any of it; ``blocked``, a verified member the owner has blocked;
``deleted``, a member whose account was deleted while they were logged in
(their cookie must open nothing: the answer is the anonymous one);
``moderator``, a verified member with the moderator role (and nothing else);
``admin``.

Forms are posted with CSRF protection on and a valid token (a refusal must
come from the rule, not from a missing token). For every answer that refuses
(a redirect to log in, 4xx), the database is compared before and after: a
refused attempt changes nothing (a 302 alone proves nothing).

The Socket.IO events have their matrix in tests/chat/test_socket_access.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from community import blocking
from community.accounts import service as accounts
from community.chat import service as chat
from community.chat.models import Conversation
from community.db import db
from community.helping import answers, matches, offers, requests
from community.kindness import service as kindness
from community.mail.unsubscribe import make_unsubscribe_token
from community.manuscripts import conversion
from community.manuscripts import service as manuscript_service
from community.manuscripts.models import Paragraph
from community.moderation import service as moderation
from community.moderation.models import AuditEntry
from community.network import follows
from community.notifications.service import notify
from tests.builders import skill_ids
from tests.factories import PASSWORD

ROLES = (
    "anonymous",
    "unverified",
    "owner",
    "other",
    "third",
    "blocked",
    "deleted",
    "moderator",
    "admin",
)
LOGIN = -302  # a redirect to the login page (as opposed to any other 302)
REFUSALS = {LOGIN, 400, 403, 404, 405, 429}
NOT_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    path: str  # formatted with the fixture ids below
    expect: dict[str, int]  # LOGIN for a redirect to the login page

    def status(self, role: str) -> int:
        if role == "deleted":
            return self.expect.get("deleted", self.expect["anonymous"])
        return self.expect.get(role, self.expect.get("member", 0))


def R(endpoint: str, method: str, path: str, anonymous: int, member: int, **others: int) -> Row:
    """``member`` is the answer for every signed-in role not named in ``others``;
    ``deleted`` answers as ``anonymous`` unless named."""
    return Row(endpoint, method, path, {"anonymous": anonymous, "member": member, **others})


def test_every_route_and_method_has_a_row(app):
    assert len(MATRIX) == len(ROWS), "two rows for the same route and method"
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_ROUTES
        for method in rule.methods - NOT_METHODS
    }
    missing = sorted(served - set(MATRIX))
    assert not missing, f"routes and methods without a row in the access matrix: {missing}"
    stale = sorted(set(MATRIX) - served)
    assert not stale, f"rows for routes or methods that no longer exist: {stale}"


@pytest.fixture
def people(make_user):
    owner = make_user(email="owner@example.com", display_name="Olive Owner")
    other = make_user(email="other@example.com", display_name="Otto Other")
    make_user(email="third@example.com", display_name="Theo Third")
    blocked = make_user(email="blocked@example.com", display_name="Bea Blocked")
    make_user(email="deleted@example.com", display_name="Dee Deleted")
    make_user(email="unverified@example.com", display_name="Una Unverified", unverified=True)
    make_user(email="admin@example.com", display_name="Ada Admin", is_admin=True)
    moderator = make_user(
        email="moderator@example.com", display_name="Mo Moderator", is_moderator=True
    )
    notification = notify(owner, "welcome", {})
    offers.save_offer(other, offers.OfferInput(skill_ids("beta-reading"), [], 2, "", False))
    help_request = requests.post_request(
        owner,
        requests.RequestInput(
            title="Beta readers for my novel",
            details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
            skill_ids=skill_ids("beta-reading"),
            genre_id=None,
            format="written",
            effort="about 6 hours",
            deadline=None,
            helpers_wanted=2,
        ),
    )
    answer = answers.answer_request(other, help_request, "I would love to read it.")
    match = matches.accept_answer(owner, answer)
    follows.follow(other, owner)
    follows.follow(blocked, owner)
    blocking.block(owner, blocked)
    thanks = kindness.thank_outside(other, owner, "Thank you for your notes on my opening chapter.")
    conversation_id = db.session.scalar(
        select(Conversation.id).where(Conversation.match_id == match.id)
    )
    manuscript = manuscript_service.add_manuscript(
        owner,
        help_request,
        "The Lighthouse",
        conversion.convert_text("# One\n\nThe keeper counted ships.\n\n# Two\n\nThe end."),
    )
    reader = manuscript_service.invite_reader(owner, manuscript, match.id)
    db.session.flush()
    reading = manuscript_service.access_manuscript(other, manuscript.id)
    first = manuscript.chapters[0]
    paragraph_key = db.session.scalar(select(Paragraph.key).where(Paragraph.chapter_id == first.id))
    comment = manuscript_service.add_comment(reading, first, paragraph_key, "counted", "Nice.")
    question = manuscript_service.ask_question(owner, manuscript, first, "Did it grip you?")
    message = chat.send(other, conversation_id, "access-1", "Hello from Otto").message
    report = moderation.report(owner, "message", message.id, "spam")
    moderation.act(moderator, report.id, "warn", reason="Please keep it kind.")
    warned = db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "warn"))
    appeal = moderation.ask_for_review(other, warned, "I was only saying hello.")
    entry = moderation.record(moderator, "warn", member=other, reason="Again.")
    db.session.commit()
    return {
        "owner_id": owner.id,
        "other_id": other.id,
        "notification_id": notification.id,
        "unsubscribe": make_unsubscribe_token(owner.id),
        "request_id": help_request.id,
        "answer_id": answer.id,
        "match_id": match.id,
        "conversation_id": conversation_id,
        "keep_open": requests.keep_open_token(help_request),
        "thanks_id": thanks.id,
        "manuscript_id": manuscript.id,
        "reader_id": reader.id,
        "comment_id": comment.id,
        "question_id": question.id,
        "message_id": message.id,
        "report_id": report.id,
        "appeal_id": appeal.id,
        "entry_id": entry.id,
    }


# What a request may change without changing anything a member did: the
# login session's bookkeeping.
NOT_STATE = {"login_sessions": None, "users": {"last_seen_at"}}
CSRF_TOKEN = re.compile(r'csrf_token" type="hidden" value="([^"]+)"')


def snapshot() -> dict[str, list]:
    """Every row of every table, as committed now (bookkeeping left out)."""
    db.session.rollback()
    state = {}
    for table in db.metadata.sorted_tables:
        skipped = NOT_STATE.get(table.name, set())
        if skipped is None:
            continue
        columns = [c for c in table.columns if c.name not in skipped]
        rows = db.session.execute(sa.select(*columns)).all()
        state[table.name] = sorted(repr(tuple(r)) for r in rows)
    return state


def csrf_token(client) -> str:
    """A valid CSRF token for ``client``'s session, from a page with a form."""
    page = client.get("/login")
    if page.status_code == 302:  # logged in: the settings page has forms
        page = client.get("/account")
    found = CSRF_TOKEN.search(page.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(client, email: str) -> None:
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, f"{email} could not log in"


# Rows that end the client's login session go last; before them, in this
# order, the rows that end what the fixture built for the rows after them (a
# block or a withdrawn answer cancels the match a reader reads through; a
# deleted manuscript is gone).
SESSION_ENDERS = [("accounts.sign_out_everywhere", "POST"), ("accounts.logout", "POST")]
FIXTURE_ENDERS = [
    ("chat.block", "POST"),
    ("chat.unblock", "POST"),
    ("helping.withdraw_answer", "POST"),
    ("manuscripts.delete", "POST"),
]


def order_for(role: str) -> list[tuple[str, str]]:
    """The rows in the order one role's client tries them: refusals first (each
    checked to change nothing, so the ones after meet the fixture as built),
    then what the role may do, and the rows that end the fixture or log the
    client out last."""
    keys = [key for key in sorted(MATRIX) if key not in SESSION_ENDERS]
    refused = [key for key in keys if MATRIX[key].status(role) in REFUSALS]
    allowed = [key for key in keys if key not in refused]
    # Pages before buttons: a button may end the request a page shows.
    ends = {key: place for place, key in enumerate(FIXTURE_ENDERS, 1)}
    allowed.sort(key=lambda key: (ends.get(key, 0), key[1] != "GET"))
    return refused + allowed + SESSION_ENDERS


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
@pytest.mark.parametrize("role", ROLES)
def test_access(app, people, client, role):
    """One role tries every row, on one fixture (built once: the matrix stays
    fast); every wrong answer is listed, not just the first."""
    if role != "anonymous":
        log_in(client, f"{role}@example.com")
    if role == "deleted":
        db.session.rollback()
        accounts.delete_account(accounts.find_by_email("deleted@example.com"), PASSWORD)
        db.session.commit()
    token = csrf_token(client)
    wrong = []
    for key in order_for(role):
        entry = MATRIX[key]
        path = entry.path.format(**people)
        expected = entry.status(role)
        refused = expected in REFUSALS or (expected == 302 and key in FLASHED_REFUSALS)
        before = snapshot() if refused else None
        data = {"csrf_token": token} if entry.method == "POST" else None
        response = client.open(path, method=entry.method, data=data)
        where = f"{entry.method} {path} ({entry.endpoint}) as {role}"
        if response.status_code != abs(expected):
            wrong.append(f"{where}: {response.status_code}, expected {abs(expected)}")
        elif expected == LOGIN and not response.headers["Location"].startswith("/login"):
            wrong.append(f"{where}: redirected to {response.headers['Location']}, not to log in")
        elif before is not None and snapshot() != before:
            wrong.append(f"{where}: refused, but changed the database")
    assert not wrong, "\n".join(wrong)
