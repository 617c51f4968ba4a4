"""The hosts' dashboard: who may see it, its figures, and announcements."""

from __future__ import annotations

from sqlalchemy import func, select

from community.db import db, utcnow
from community.notifications import service
from community.notifications.kinds import DAILY, IMMEDIATE
from community.notifications.models import Notification
from tests.support_smtp import add_outbox_row


def notifications_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    for method, path in [("get", "/admin/"), ("post", "/admin/announce")]:
        response = getattr(client, method)(path, data={"title": "x"})
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_members_are_refused(app, client, auth, make_user):
    member = make_user()
    auth.login(member.email)
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/announce", data={"title": "Free books!"}).status_code == 403
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert 'href="/admin/"' not in client.get("/members").get_data(as_text=True)


def test_dashboard_shows_figures_to_admins(app, client, auth, make_user):
    admin = make_user(is_admin=True)
    make_user()
    make_user(unverified=True)
    gone = make_user()
    gone.deleted_at = utcnow()
    db.session.commit()
    add_outbox_row(admin)
    add_outbox_row(admin)
    add_outbox_row(admin, status="failed", attempts=3, last_error="550 5.1.1 No such user")
    add_outbox_row(admin, status="sent", attempts=1)
    auth.login(admin.email)

    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h2>3</h2><p>members</p>" in html  # the deleted one does not count
    assert "<h2>2</h2><p>with a confirmed address</p>" in html
    assert "<h2>2</h2><p>emails waiting</p>" in html
    assert "<h2>1</h2><p>emails failed</p>" in html
    assert "Emails that failed" in html
    assert "550 5.1.1 No such user" in html
    assert 'href="/admin/"' in html  # the navigation offers it to admins


def test_announcement_notifies_every_verified_member(app, client, auth, make_user, mailbox):
    admin = make_user(is_admin=True)
    members = [make_user() for _ in range(3)]
    eager = make_user()
    service.set_preference(eager.id, "announcement", IMMEDIATE)
    unverified = make_user(unverified=True)
    gone = make_user()
    gone.deleted_at = utcnow()
    db.session.commit()
    auth.login(admin.email)

    response = client.post(
        "/admin/announce", data={"title": "  The spring write-in starts Monday "}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert "Announcement sent to 5 members." in client.get("/admin/").get_data(as_text=True)

    for user in [admin, *members]:
        [notification] = notifications_of(user)
        assert notification.kind == "announcement"
        assert notification.data == {"title": "The spring write-in starts Monday"}
        assert notification.delivery == DAILY  # the kind's default
    [eager_notification] = notifications_of(eager)
    assert eager_notification.delivery == IMMEDIATE
    assert notifications_of(unverified) == [] and notifications_of(gone) == []

    # Daily by default: only the member who asked for it is emailed now.
    [message] = mailbox.messages()
    assert message["To"] == eager.email
    assert message["Subject"] == "The spring write-in starts Monday"


def test_empty_announcement_is_refused(app, client, auth, make_user):
    admin = make_user(is_admin=True)
    make_user()
    auth.login(admin.email)

    for title in ("", "   "):
        response = client.post("/admin/announce", data={"title": title})
        assert response.status_code == 400, repr(title)
        html = response.get_data(as_text=True)
        assert "Write the announcement." in html
        assert "Hosts&#39; dashboard" in html or "Hosts' dashboard" in html
    response = client.post("/admin/announce", data={"title": "x" * 301})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Notification.id))) == 0
