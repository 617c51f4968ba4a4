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
from community.helping import answers, asks, check_ins, matches, offers, requests
from community.helping.models import RequestAsk
from community.kindness import pledges
from community.kindness import service as kindness
from community.mail.unsubscribe import make_unsubscribe_token
from community.manuscripts import conversion
from community.manuscripts import service as manuscript_service
from community.manuscripts.models import Paragraph
from community.moderation import service as moderation
from community.moderation.models import AuditEntry, Report
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


M = "/manuscripts/{manuscript_id}"
ROWS: list[Row] = [
    R("site.home", "GET", "/", 200, 302),
    R("site.healthz", "GET", "/healthz", 200, 200),
    R("accounts.signup", "GET", "/signup", 200, 302),
    R("accounts.login", "GET", "/login", 200, 302),
    R("accounts.verify_email", "GET", "/verify/not-a-token", 400, 400),
    R("accounts.resend_verification", "POST", "/verify/resend", LOGIN, 302),
    R("accounts.logout", "POST", "/logout", 302, 302),
    R("accounts.forgot_password", "GET", "/password/forgot", 200, 200),
    R("accounts.reset_password", "GET", "/password/reset/not-a-token", 400, 400),
    R("accounts.settings", "GET", "/account", LOGIN, 200),
    R("accounts.change_password", "POST", "/account/password", LOGIN, 400),
    R("accounts.change_email", "POST", "/account/email", LOGIN, 400),
    R("accounts.confirm_email_change", "GET", "/account/email/confirm/not-a-token", 400, 400),
    R("accounts.sign_out_everywhere", "POST", "/account/sign-out-everywhere", LOGIN, 302),
    R("accounts.delete_account", "GET", "/account/delete", LOGIN, 200),
    R("admin.dashboard", "GET", "/admin/", LOGIN, 403, admin=200),
    R("admin.announce", "POST", "/admin/announce", LOGIN, 403, admin=400),
    R("notifications.index", "GET", "/notifications/", LOGIN, 200),
    R("notifications.mark_all_read", "POST", "/notifications/read", LOGIN, 302),
    R(
        "notifications.open_notification",
        "POST",
        "/notifications/{notification_id}/open",
        LOGIN,
        404,
        owner=302,
    ),
    R("notifications.preferences", "GET", "/notifications/preferences", LOGIN, 200),
    # Each member's own list: nobody else's can be asked for.
    R("waiting.index", "GET", "/waiting", LOGIN, 200),
    R("notifications.unsubscribe", "GET", "/notifications/unsubscribe/{unsubscribe}", 200, 200),
    R("profiles.directory", "GET", "/members", 200, 200),
    R("profiles.show", "GET", "/members/{owner_id}", 200, 200),
    R("profiles.edit", "GET", "/profile/edit", LOGIN, 200),
    # The request is open (2 places, 1 taken by the match with other); other
    # has answered it; owner and other are matched. Refusals on buttons flash
    # and redirect back (302); what is not the member's to see is 404.
    R("helping.board", "GET", "/requests", LOGIN, 200),
    R("helping.my_requests", "GET", "/requests/mine", LOGIN, 200),
    R("helping.new_request", "GET", "/requests/new", LOGIN, 200),
    R("helping.show_request", "GET", "/requests/{request_id}", LOGIN, 200),
    R("helping.edit_request", "GET", "/requests/{request_id}/edit", LOGIN, 403, owner=200),
    R("helping.close_request", "POST", "/requests/{request_id}/close", LOGIN, 302),
    R("helping.reopen_request", "POST", "/requests/{request_id}/reopen", LOGIN, 302),
    R("helping.complete_request", "POST", "/requests/{request_id}/complete", LOGIN, 302),
    # An empty note is refused with 400 once the member may answer at all.
    R(
        "helping.answer_request",
        "POST",
        "/requests/{request_id}/answer",
        LOGIN,
        400,
        owner=302,
        unverified=302,
        blocked=404,
    ),
    R("helping.invite", "POST", "/requests/{request_id}/invite/{other_id}", LOGIN, 302),
    R("helping.keep_open", "GET", "/requests/keep-open/{keep_open}", LOGIN, 404, owner=200),
    R("helping.comment", "POST", "/answers/{answer_id}/comments", LOGIN, 404, owner=400, other=400),
    R("helping.accept_answer", "POST", "/answers/{answer_id}/accept", LOGIN, 404, owner=302),
    R("helping.decline_answer", "POST", "/answers/{answer_id}/decline", LOGIN, 404, owner=302),
    R("helping.withdraw_answer", "POST", "/answers/{answer_id}/withdraw", LOGIN, 404, other=302),
    R("helping.my_matches", "GET", "/matches", LOGIN, 200),
    R("helping.show_match", "GET", "/matches/{match_id}", LOGIN, 404, owner=200, other=200),
    R(
        "helping.cancel_match",
        "POST",
        "/matches/{match_id}/cancel",
        LOGIN,
        404,
        owner=400,
        other=400,
    ),
    # Check-ins and closure: the match is active and young, so "I finished my
    # part" (the helper's, other's) and the closing words (after the end) are
    # refused with a flash; the requester may not finish the helper's part.
    R("helping.finish_part", "POST", "/matches/{match_id}/finished", LOGIN, 404, other=302),
    R(
        "helping.write_closure",
        "POST",
        "/matches/{match_id}/closure",
        LOGIN,
        404,
        owner=302,
        other=302,
    ),
    # The helper's thank-you back (other's), refused with a flash while the
    # match is active; the requester and everyone else get 404.
    R("helping.thank_back", "POST", "/matches/{match_id}/thanks-back", LOGIN, 404, other=302),
    # A check-in's "we're on it" link, made for other: no login needed; any
    # other signed-in member is refused (a foreign link), and nothing changes.
    R("helping.check_in", "GET", "/check-ins/{check_in}", 200, 404, other=200),
    R("helping.check_in", "POST", "/check-ins/{check_in}", 200, 404, other=200),
    R("helping.edit_offer", "GET", "/offer", LOGIN, 200),
    # An ask's "not for me" link, made for other: no login needed; any other
    # signed-in member is refused (a foreign link), and nothing changes.
    R("helping.answer_ask", "GET", "/asks/{ask}", 200, 404, other=200),
    # Kindness: owner is the requester of the active match (an empty thank-you
    # is refused with 400); other's "you helped me" to owner waits for owner.
    R("helping.complete_match", "POST", "/matches/{match_id}/complete", LOGIN, 404, owner=400),
    R("kindness.thank_member", "GET", "/members/{other_id}/thank", LOGIN, 200, other=404),
    R("kindness.pending_thanks", "GET", "/thanks", LOGIN, 200),
    R("kindness.confirm_thanks", "POST", "/thanks/{thanks_id}/confirm", LOGIN, 404, owner=302),
    R("kindness.decline_thanks", "POST", "/thanks/{thanks_id}/decline", LOGIN, 404, owner=302),
    R("kindness.reply", "POST", "/thanks/{thanks_id}/reply", LOGIN, 404, owner=302, other=302),
    R(
        "kindness.thanks_privacy",
        "POST",
        "/thanks/{thanks_id}/privacy",
        LOGIN,
        404,
        owner=302,
        other=302,
    ),
    # other pledged when thanking owner: the pledge's page is other's alone.
    R("kindness.pledge", "GET", "/pledges/{pledge_id}", LOGIN, 404, other=200),
    R("kindness.ripples", "GET", "/members/{owner_id}/ripples", LOGIN, 200),
    R("kindness.community", "GET", "/kindness", LOGIN, 200),
    R("kindness.privacy", "POST", "/kindness/privacy", LOGIN, 302),
    # other follows owner, so owner may welcome other and nobody else may.
    # Follow buttons flash and redirect back, refusals (yourself, twice) too.
    R("network.follow", "POST", "/members/{owner_id}/follow", LOGIN, 302),
    R("network.unfollow", "POST", "/members/{owner_id}/unfollow", LOGIN, 302),
    R("network.followers", "GET", "/members/{owner_id}/followers", LOGIN, 200),
    R("network.following", "GET", "/members/{owner_id}/following", LOGIN, 200),
    R("network.new_follower", "GET", "/followers/{other_id}", LOGIN, 200),
    R("network.compose_welcome", "GET", "/welcome/{other_id}", LOGIN, 404, owner=200),
    # No JSON body: the owner is told so (400); nobody else learns anything.
    R("network.coach_welcome", "POST", "/welcome/{other_id}/coach", LOGIN, 404, owner=400),
    R("network.welcomes_received", "GET", "/welcomes", LOGIN, 200),
    R("network.home_feed", "GET", "/feed", LOGIN, 200),
    R("network.start", "GET", "/start", LOGIN, 200),
    # The conversation of owner's and other's match. Opening a chat with a
    # member who is not connected (or oneself) flashes and redirects back.
    R("chat.index", "GET", "/chats", LOGIN, 200),
    R("chat.show", "GET", "/chats/{conversation_id}", LOGIN, 404, owner=200, other=200),
    R("chat.start", "POST", "/members/{owner_id}/chat", LOGIN, 302),
    R("chat.block", "POST", "/chats/{conversation_id}/block", LOGIN, 404, owner=302, other=302),
    R("chat.unblock", "POST", "/chats/{conversation_id}/unblock", LOGIN, 404, owner=302, other=302),
    # Manuscripts: owner is the author, on her request; other, her matched
    # helper, is invited to read (downloads of the text off). Everyone else,
    # admins and moderators included, gets 404: the text is private. The
    # moderator here has a report about the manuscript (other reported a
    # passage: the report holds that passage, nothing else), and
    # test_a_moderator_without_a_report_meets_the_manuscript_rows tries the
    # same rows with no report at all. A
    # reader's refused acts (a comment without a quote, an empty note) are
    # 400; buttons flash and redirect.
    R("manuscripts.new", "GET", "/requests/{request_id}/manuscript", LOGIN, 404, owner=302),
    R("manuscripts.new", "POST", "/requests/{request_id}/manuscript", LOGIN, 404, owner=302),
    R("manuscripts.show", "GET", M, LOGIN, 404, owner=200, other=200),
    R("manuscripts.new_version", "POST", M + "/version", LOGIN, 404, owner=302),
    R("manuscripts.invite", "POST", M + "/readers", LOGIN, 404, owner=302),
    R("manuscripts.revoke", "POST", M + "/readers/{reader_id}/revoke", LOGIN, 404, owner=302),
    R("manuscripts.extend", "POST", M + "/readers/{reader_id}/extend", LOGIN, 404, owner=302),
    R("manuscripts.options", "POST", M + "/options", LOGIN, 404, owner=302),
    R("manuscripts.delete", "POST", M + "/delete", LOGIN, 404, owner=302),
    R("manuscripts.chapter", "GET", M + "/chapters/1", LOGIN, 404, owner=200, other=200),
    R("manuscripts.comment", "POST", M + "/chapters/1/comments", LOGIN, 404, owner=400, other=400),
    R("manuscripts.note", "POST", M + "/chapters/1/notes", LOGIN, 404, owner=400, other=400),
    R("manuscripts.mark_read", "POST", M + "/chapters/1/read", LOGIN, 404, owner=302, other=302),
    R("manuscripts.ask", "POST", M + "/chapters/1/questions", LOGIN, 404, owner=400),
    R(
        "manuscripts.answer",
        "POST",
        M + "/chapters/1/questions/{question_id}",
        LOGIN,
        404,
        owner=302,
        other=302,
    ),
    R(
        "manuscripts.reply",
        "POST",
        M + "/comments/{comment_id}/reply",
        LOGIN,
        404,
        owner=302,
        other=302,
    ),
    R("manuscripts.resolve", "POST", M + "/comments/{comment_id}/resolve", LOGIN, 404, owner=302),
    R("manuscripts.export_docx", "GET", M + "/comments.docx", LOGIN, 404, owner=200),
    R(
        "manuscripts.export_markdown",
        "GET",
        M + "/comments.md",
        LOGIN,
        404,
        owner=200,
        other=200,
    ),
    # Moderation: owner reported other's chat message (only the conversation's
    # members see it); a moderator warned other, and other asked for a review
    # of that warning; a second warning is the entry other may still appeal.
    # The queue and members' pages are for moderators and admins (403 for
    # the rest); the audit log and naming moderators for admins only. Their
    # buttons, posted empty, flash the refusal and redirect back (302): those
    # are in FLASHED_REFUSALS, so the database is compared for them too
    # (reinstating needs no reason: it is done, and logged).
    R("moderation.report", "GET", "/report/message/{message_id}", LOGIN, 404, owner=200, other=200),
    R(
        "moderation.report",
        "POST",
        "/report/message/{message_id}",
        LOGIN,
        404,
        owner=400,
        other=400,
    ),
    R("moderation.queue", "GET", "/moderation/", LOGIN, 403, moderator=200, admin=200),
    R(
        "moderation.act",
        "POST",
        "/moderation/reports/{report_id}/act",
        LOGIN,
        403,
        moderator=302,
        admin=302,
    ),
    R(
        "moderation.decide_appeal",
        "POST",
        "/moderation/appeals/{appeal_id}/decide",
        LOGIN,
        403,
        moderator=302,
        admin=302,
    ),
    R(
        "moderation.member",
        "GET",
        "/moderation/members/{other_id}",
        LOGIN,
        403,
        moderator=200,
        admin=200,
    ),
    R(
        "moderation.set_trust",
        "POST",
        "/moderation/members/{other_id}/trust",
        LOGIN,
        403,
        moderator=400,
        admin=400,
    ),
    R(
        "moderation.reinstate",
        "POST",
        "/moderation/members/{other_id}/reinstate",
        LOGIN,
        403,
        moderator=302,
        admin=302,
    ),
    R("moderation.audit", "GET", "/moderation/audit", LOGIN, 403, admin=200),
    R("moderation.audit_csv", "GET", "/moderation/audit.csv", LOGIN, 403, admin=200),
    R("moderation.moderators", "POST", "/moderation/moderators", LOGIN, 403, admin=302),
    R("moderation.standing", "GET", "/standing", LOGIN, 200),
    # The warning is other's alone to appeal (404 for anyone else); without
    # words the appeal is refused with 400.
    R("moderation.appeal", "POST", "/standing/{entry_id}/appeal", LOGIN, 404, other=400),
    # The forms of pages that also show them (GET above), posted empty: the
    # form is shown again with its errors, or the rule refuses first.
    R("accounts.signup", "POST", "/signup", 200, 302),
    R("accounts.login", "POST", "/login", 200, 302),
    R("accounts.forgot_password", "POST", "/password/forgot", 200, 200),
    R("accounts.reset_password", "POST", "/password/reset/not-a-token", 400, 400),
    R("accounts.delete_account", "POST", "/account/delete", LOGIN, 400),
    R("chat.show", "POST", "/chats/{conversation_id}", LOGIN, 404, owner=400, other=400),
    R("helping.edit_offer", "POST", "/offer", LOGIN, 400),
    R("helping.answer_ask", "POST", "/asks/{ask}", 200, 404, other=200),
    R("helping.edit_request", "POST", "/requests/{request_id}/edit", LOGIN, 403, owner=400),
    # The link is the requester's alone (finding 8): anyone else gets 404.
    R("helping.keep_open", "POST", "/requests/keep-open/{keep_open}", LOGIN, 404, owner=302),
    R("helping.new_request", "POST", "/requests/new", LOGIN, 400, unverified=403),
    R("kindness.thank_member", "POST", "/members/{other_id}/thank", LOGIN, 400, other=404),
    R("network.compose_welcome", "POST", "/welcome/{other_id}", LOGIN, 404, owner=400),
    R("notifications.preferences", "POST", "/notifications/preferences", LOGIN, 302),
    R("notifications.unsubscribe", "POST", "/notifications/unsubscribe/{unsubscribe}", 200, 200),
    R("profiles.edit", "POST", "/profile/edit", LOGIN, 400),
]
NOT_ROUTES = {"static"}
# Rows whose 302 is a refusal shown as a flash (the empty form changes
# nothing), checked like the other refusals.
FLASHED_REFUSALS = {
    ("moderation.act", "POST"),
    ("moderation.decide_appeal", "POST"),
    ("moderation.moderators", "POST"),
    ("helping.finish_part", "POST"),
    ("helping.write_closure", "POST"),
    ("helping.thank_back", "POST"),
}
MATRIX: dict[tuple[str, str], Row] = {(r.endpoint, r.method): r for r in ROWS}


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
    ask = RequestAsk(request_id=help_request.id, volunteer_id=other.id)
    db.session.add(ask)
    answer = answers.answer_request(other, help_request, "I would love to read it.")
    match = matches.accept_answer(owner, answer)
    follows.follow(other, owner)
    follows.follow(blocked, owner)
    blocking.block(owner, blocked)
    thanks = kindness.thank_outside(
        other, owner, "Thank you for your notes on my opening chapter.", pledge=True
    )
    pledge = pledges.pledge_for_thanks(thanks.id)
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
    # other, reading, reports a passage: the moderators have a report about the
    # manuscript, and still may not read it (see the manuscript rows).
    moderation.report(other, "manuscript_passage", _first_paragraph_id(first), "plagiarism")
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
        "ask": asks.ask_token(ask, asks.NOT_FOR_ME),
        "check_in": check_ins.check_in_token(match, other.id, check_ins.ON_IT),
        "thanks_id": thanks.id,
        "pledge_id": pledge.id,
        "manuscript_id": manuscript.id,
        "reader_id": reader.id,
        "comment_id": comment.id,
        "question_id": question.id,
        "message_id": message.id,
        "report_id": report.id,
        "appeal_id": appeal.id,
        "entry_id": entry.id,
    }


def _first_paragraph_id(chapter) -> int:
    return db.session.scalar(
        select(Paragraph.id).where(Paragraph.chapter_id == chapter.id).order_by(Paragraph.position)
    )


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
    assert not try_rows(client, people, role, order_for(role)), "see above"


def try_rows(client, people, role: str, keys) -> list[str]:
    """Try ``keys`` (endpoint, method) as ``role``; the wrong answers, listed
    (the assertion message shows them all)."""
    token = csrf_token(client)
    wrong = []
    for key in keys:
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
    return wrong


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
def test_a_moderator_without_a_report_meets_the_manuscript_rows(app, people, client):
    """The manuscript rows again, for a moderator before anyone reported
    anything of the manuscript: 404 everywhere, as with a report."""
    db.session.execute(sa.delete(Report).where(Report.item_type.like("manuscript%")))
    db.session.commit()
    log_in(client, "moderator@example.com")
    keys = [key for key in order_for("moderator") if key[0].startswith("manuscripts.")]
    assert keys and all(MATRIX[key].status("moderator") == 404 for key in keys)
    try_rows(client, people, "moderator", keys)
