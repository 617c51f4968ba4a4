"""Who may use which route: a row for every route, a column for every role.

Adding a route without adding its row here fails ``test_every_route_has_a_row``.
Roles: anonymous; ``owner``, a verified member who owns the resources in the
paths; ``other``, another verified member; ``unverified``, a member who has
not confirmed their email; ``admin``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from community.db import db
from community.mail.unsubscribe import make_unsubscribe_token
from community.notifications.service import notify

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
    make_user(email="other@example.com", display_name="Otto Other")
    make_user(email="unverified@example.com", display_name="Una Unverified", unverified=True)
    make_user(email="admin@example.com", display_name="Ada Admin", is_admin=True)
    notification = notify(owner, "welcome", {})
    db.session.commit()
    return {
        "owner_id": owner.id,
        "notification_id": notification.id,
        "unsubscribe": make_unsubscribe_token(owner.id),
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
