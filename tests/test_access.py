"""Who may use which route: a row for every route, a column for every role.

Adding a route without adding its row here fails ``test_every_route_has_a_row``.
Roles: anonymous; ``owner``, a verified member who owns the resources in the
paths; ``other``, another verified member; ``unverified``, a member who has
not confirmed their email; ``admin``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from community.chat.models import Conversation
from community.db import db
from community.helping import requests
from community.kindness import service as kindness
from community.mail.unsubscribe import make_unsubscribe_token
from community.network import follows
from community.notifications.service import notify
from tests.builders import accept, answer, make_offer, make_request

ROLES = ("anonymous", "owner", "other", "unverified", "admin")
LOGIN = -302  # a redirect to the login page (as opposed to any other 302)


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # formatted with the fixture ids below
    expect: dict[str, int]  # LOGIN for a redirect to the login page

    def status(self, role: str) -> int:
        return self.expect.get(role, self.expect.get("member", 0))


def row(method: str, path: str, anonymous: int, member: int, **others: int) -> Row:
    """``member`` is the answer for every signed-in role not named in ``others``."""
    return Row(method, path, {"anonymous": anonymous, "member": member, **others})


MATRIX: dict[str, Row] = {
    "site.home": row("GET", "/", 200, 302),
    "site.healthz": row("GET", "/healthz", 200, 200),
    "accounts.signup": row("GET", "/signup", 200, 302),
    "accounts.login": row("GET", "/login", 200, 302),
    "accounts.verify_email": row("GET", "/verify/not-a-token", 400, 400),
    "accounts.resend_verification": row("POST", "/verify/resend", LOGIN, 302),
    "accounts.logout": row("POST", "/logout", 302, 302),
    "accounts.forgot_password": row("GET", "/password/forgot", 200, 200),
    "accounts.reset_password": row("GET", "/password/reset/not-a-token", 400, 400),
    "accounts.settings": row("GET", "/account", LOGIN, 200),
    "accounts.change_password": row("POST", "/account/password", LOGIN, 400),
    "accounts.change_email": row("POST", "/account/email", LOGIN, 400),
    "accounts.confirm_email_change": row("GET", "/account/email/confirm/not-a-token", 400, 400),
    "accounts.sign_out_everywhere": row("POST", "/account/sign-out-everywhere", LOGIN, 302),
    "accounts.delete_account": row("GET", "/account/delete", LOGIN, 200),
    "admin.dashboard": row("GET", "/admin/", LOGIN, 403, admin=200),
    "admin.announce": row("POST", "/admin/announce", LOGIN, 403, admin=400),
    "notifications.index": row("GET", "/notifications/", LOGIN, 200),
    "notifications.mark_all_read": row("POST", "/notifications/read", LOGIN, 302),
    "notifications.open_notification": row(
        "POST", "/notifications/{notification_id}/open", LOGIN, 404, owner=302
    ),
    "notifications.preferences": row("GET", "/notifications/preferences", LOGIN, 200),
    "notifications.unsubscribe": row("GET", "/notifications/unsubscribe/{unsubscribe}", 200, 200),
    "profiles.directory": row("GET", "/members", 200, 200),
    "profiles.show": row("GET", "/members/{owner_id}", 200, 200),
    "profiles.edit": row("GET", "/profile/edit", LOGIN, 200),
    # The request is open (2 places, 1 taken by the match with other); other
    # has answered it; owner and other are matched. Refusals on buttons flash
    # and redirect back (302); what is not the member's to see is 404.
    "helping.board": row("GET", "/requests", LOGIN, 200),
    "helping.my_requests": row("GET", "/requests/mine", LOGIN, 200),
    "helping.new_request": row("GET", "/requests/new", LOGIN, 200),
    "helping.show_request": row("GET", "/requests/{request_id}", LOGIN, 200),
    "helping.edit_request": row("GET", "/requests/{request_id}/edit", LOGIN, 403, owner=200),
    "helping.close_request": row("POST", "/requests/{request_id}/close", LOGIN, 302),
    "helping.reopen_request": row("POST", "/requests/{request_id}/reopen", LOGIN, 302),
    "helping.complete_request": row("POST", "/requests/{request_id}/complete", LOGIN, 302),
    # An empty note is refused with 400 once the member may answer at all.
    "helping.answer_request": row(
        "POST", "/requests/{request_id}/answer", LOGIN, 400, owner=302, unverified=302
    ),
    "helping.invite": row("POST", "/requests/{request_id}/invite/{other_id}", LOGIN, 302),
    "helping.keep_open": row("GET", "/requests/keep-open/{keep_open}", LOGIN, 200),
    "helping.comment": row(
        "POST", "/answers/{answer_id}/comments", LOGIN, 404, owner=400, other=400
    ),
    "helping.accept_answer": row("POST", "/answers/{answer_id}/accept", LOGIN, 404, owner=302),
    "helping.decline_answer": row("POST", "/answers/{answer_id}/decline", LOGIN, 404, owner=302),
    "helping.withdraw_answer": row("POST", "/answers/{answer_id}/withdraw", LOGIN, 404, other=302),
    "helping.my_matches": row("GET", "/matches", LOGIN, 200),
    "helping.show_match": row("GET", "/matches/{match_id}", LOGIN, 404, owner=200, other=200),
    "helping.cancel_match": row(
        "POST", "/matches/{match_id}/cancel", LOGIN, 404, owner=400, other=400
    ),
    "helping.edit_offer": row("GET", "/offer", LOGIN, 200),
    # Kindness: owner is the requester of the active match (an empty thank-you
    # is refused with 400); other's "you helped me" to owner waits for owner.
    "kindness.complete_match": row("POST", "/matches/{match_id}/complete", LOGIN, 404, owner=400),
    "kindness.thank_member": row("GET", "/members/{other_id}/thank", LOGIN, 200, other=404),
    "kindness.pending_thanks": row("GET", "/thanks", LOGIN, 200),
    "kindness.confirm_thanks": row("POST", "/thanks/{thanks_id}/confirm", LOGIN, 404, owner=302),
    "kindness.decline_thanks": row("POST", "/thanks/{thanks_id}/decline", LOGIN, 404, owner=302),
    "kindness.reply": row("POST", "/thanks/{thanks_id}/reply", LOGIN, 404, owner=302, other=302),
    "kindness.thanks_privacy": row(
        "POST", "/thanks/{thanks_id}/privacy", LOGIN, 404, owner=302, other=302
    ),
    "kindness.ripples": row("GET", "/members/{owner_id}/ripples", LOGIN, 200),
    "kindness.community": row("GET", "/kindness", LOGIN, 200),
    "kindness.privacy": row("POST", "/kindness/privacy", LOGIN, 302),
    # other follows owner, so owner may welcome other and nobody else may.
    # Follow buttons flash and redirect back, refusals (yourself, twice) too.
    "network.follow": row("POST", "/members/{owner_id}/follow", LOGIN, 302),
    "network.unfollow": row("POST", "/members/{owner_id}/unfollow", LOGIN, 302),
    "network.followers": row("GET", "/members/{owner_id}/followers", LOGIN, 200),
    "network.following": row("GET", "/members/{owner_id}/following", LOGIN, 200),
    "network.new_follower": row("GET", "/followers/{other_id}", LOGIN, 200),
    "network.compose_welcome": row("GET", "/welcome/{other_id}", LOGIN, 404, owner=200),
    # No JSON body: the owner is told so (400); nobody else learns anything.
    "network.coach_welcome": row("POST", "/welcome/{other_id}/coach", LOGIN, 404, owner=400),
    "network.welcomes_received": row("GET", "/welcomes", LOGIN, 200),
    "network.home_feed": row("GET", "/feed", LOGIN, 200),
    "network.start": row("GET", "/start", LOGIN, 200),
    # The conversation of owner's and other's match. Opening a chat with a
    # member who is not connected (or oneself) flashes and redirects back.
    "chat.index": row("GET", "/chats", LOGIN, 200),
    "chat.show": row("GET", "/chats/{conversation_id}", LOGIN, 404, owner=200, other=200),
    "chat.start": row("POST", "/members/{owner_id}/chat", LOGIN, 302),
    "chat.block": row("POST", "/chats/{conversation_id}/block", LOGIN, 404, owner=302, other=302),
    "chat.unblock": row(
        "POST", "/chats/{conversation_id}/unblock", LOGIN, 404, owner=302, other=302
    ),
}
NOT_ROUTES = {"static"}


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"routes without a row in the access matrix: {missing}"
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.fixture
def people(make_user):
    owner = make_user(email="owner@example.com", display_name="Olive Owner")
    other = make_user(email="other@example.com", display_name="Otto Other")
    make_user(email="unverified@example.com", display_name="Una Unverified", unverified=True)
    make_user(email="admin@example.com", display_name="Ada Admin", is_admin=True)
    notification = notify(owner, "welcome", {})
    make_offer(other)
    help_request = make_request(
        owner,
        title="Beta readers for my novel",
        details="A 90k-word fantasy; I would love notes on the pacing of the middle.",
        genre=None,
        helpers=2,
    )
    made_answer = answer(other, help_request, "I would love to read it.")
    match = accept(owner, made_answer)
    follows.follow(other, owner)
    thanks = kindness.thank_outside(other, owner, "Thank you for your notes on my opening chapter.")
    db.session.commit()
    return {
        "owner_id": owner.id,
        "other_id": other.id,
        "notification_id": notification.id,
        "unsubscribe": make_unsubscribe_token(owner.id),
        "request_id": help_request.id,
        "answer_id": made_answer.id,
        "match_id": match.id,
        "conversation_id": db.session.scalar(
            select(Conversation.id).where(Conversation.match_id == match.id)
        ),
        "keep_open": requests.keep_open_token(help_request),
        "thanks_id": thanks.id,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(app, people, auth, client, endpoint, role):
    entry = MATRIX[endpoint]
    if role != "anonymous":
        response = auth.login(f"{role}@example.com")
        assert response.status_code == 302, "the test member could not log in"
    path = entry.path.format(**people)
    response = client.open(path, method=entry.method)
    expected = entry.status(role)
    assert response.status_code == abs(expected), (
        f"{entry.method} {path} as {role}: {response.status_code}"
    )
    if expected == LOGIN:
        assert response.headers["Location"].startswith("/login")
