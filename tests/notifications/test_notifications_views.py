"""The notifications page, the unread badge, mark as read, open one, preferences."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from community.db import db
from community.notifications import service
from community.notifications.models import Notification, NotificationPreference

BADGE = re.compile(
    r'id="nav-notifications">\s*Notifications\s*<span class="badge"[^>]*>(\d+)</span>'
)


def foundation_choices(user_id: int) -> dict[str, str]:
    """The member's choices for the two kinds these tests change (others exist too)."""
    choices = service.preferences(user_id)
    return {"welcome": choices["welcome"], "announcement": choices["announcement"]}


def fresh_get(client, path: str):
    """GET ``path``: the navigation's unread count is read afresh on every page."""
    return client.get(path)


def badge(response) -> int | None:
    """The unread count shown in the navigation, or None when there is no badge."""
    html = response.get_data(as_text=True)
    assert 'id="nav-notifications"' in html
    found = BADGE.search(html)
    return int(found.group(1)) if found else None


def notify(user, kind="announcement", **data) -> int:
    notification = service.notify(user, kind, data)
    db.session.commit()
    return notification.id


def read_at(notification_id: int):
    db.session.expire_all()
    return db.session.get(Notification, notification_id).read_at


def test_page_lists_notifications_and_nav_shows_unread_count(app, client, auth, make_user):
    user = make_user()
    other = make_user()
    notify(user, title="The spring write-in starts Monday")
    notify(user, "welcome")
    notify(other, title="Not for you")
    auth.login(user.email)

    response = client.get("/notifications/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The spring write-in starts Monday" in html
    assert "Welcome to Kindred!" in html
    assert "Not for you" not in html
    assert html.count("<strong>New:</strong>") == 2
    assert badge(response) == 2
    assert badge(fresh_get(client, "/members")) == 2  # on every page
    assert 'aria-label="2 unread"' in html


def test_no_badge_without_unread(app, client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    response = client.get("/notifications/")
    assert badge(response) is None
    assert "Nothing yet" in response.get_data(as_text=True)


def test_mark_all_read(app, client, auth, make_user):
    user = make_user()
    other = make_user()
    mine = [notify(user, title="One"), notify(user, title="Two")]
    theirs = notify(other, title="Three")
    auth.login(user.email)

    response = client.post("/notifications/read")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications/")
    assert all(read_at(n) is not None for n in mine)
    assert read_at(theirs) is None
    page = fresh_get(client, "/notifications/")
    assert badge(page) is None
    assert "<strong>New:</strong>" not in page.get_data(as_text=True)


def test_open_one_marks_it_read_and_goes_where_it_points(app, client, auth, make_user):
    user = make_user()
    welcome = notify(user, "welcome")
    announcement = notify(user, title="Hello")
    auth.login(user.email)

    response = client.post(f"/notifications/{welcome}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/edit"
    assert read_at(welcome) is not None
    assert read_at(announcement) is None
    assert badge(fresh_get(client, "/notifications/")) == 1

    response = client.post(f"/notifications/{announcement}/open")
    assert response.headers["Location"] == "/notifications/"
    assert badge(fresh_get(client, "/notifications/")) is None


def test_another_member_cannot_open_my_notification(app, client, auth, make_user):
    owner = make_user()
    intruder = make_user()
    mine = notify(owner, title="Private")
    auth.login(intruder.email)

    assert client.post(f"/notifications/{mine}/open").status_code == 404
    assert client.post(f"/notifications/{mine + 999}/open").status_code == 404
    assert read_at(mine) is None
    assert "Private" not in client.get("/notifications/").get_data(as_text=True)


def test_open_needs_a_post(app, client, auth, make_user):
    user = make_user()
    mine = notify(user, title="x")
    auth.login(user.email)
    assert client.get(f"/notifications/{mine}/open").status_code == 405
    assert read_at(mine) is None


def test_pages_of_notifications(app, client, auth, make_user):
    user = make_user()
    for number in range(service.PAGE_SIZE + 5):
        service.notify(user, "announcement", {"title": f"Item number {number:02d}."})
    db.session.commit()
    auth.login(user.email)

    first = client.get("/notifications/").get_data(as_text=True)
    assert first.count("Item number") == service.PAGE_SIZE
    assert "Item number 24." in first  # newest first
    assert "?page=2" in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert second.count("Item number") == 5
    assert "Item number 00." in second


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    for method, path in [
        ("get", "/notifications/"),
        ("post", "/notifications/read"),
        ("post", "/notifications/1/open"),
        ("get", "/notifications/preferences"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]


def test_preferences_page_shows_and_saves_choices(app, client, auth, make_user):
    user = make_user()
    auth.login(user.email)

    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Welcome and getting started" in html
    assert "Announcements from the site&#39;s hosts" in html
    # Each kind's current choice (here its default) is preselected.
    assert 'checked id="kind_welcome-0" name="kind_welcome" type="radio" value="immediate"' in html
    assert (
        'checked id="kind_announcement-1" name="kind_announcement" type="radio" value="daily"'
        in html
    )

    response = client.post(
        "/notifications/preferences",
        data={"kind_welcome": "off", "kind_announcement": "immediate"},
    )
    assert response.status_code == 302
    assert foundation_choices(user.id) == {"welcome": "off", "announcement": "immediate"}
    saved = client.get("/notifications/preferences").get_data(as_text=True)
    assert "Your email preferences are saved." in saved

    client.post(
        "/notifications/preferences",
        data={"kind_welcome": "daily", "kind_announcement": "immediate"},
    )
    assert foundation_choices(user.id) == {"welcome": "daily", "announcement": "immediate"}


def test_invalid_preference_is_refused_and_nothing_saved(app, client, auth, make_user):
    user = make_user()
    auth.login(user.email)

    response = client.post(
        "/notifications/preferences",
        data={"kind_welcome": "hourly", "kind_announcement": "off"},
    )
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    assert "Not a valid choice" in html
    assert 'class="field-error"' in html
    count = db.session.scalar(select(func.count(NotificationPreference.id)))
    assert count == 0
    assert foundation_choices(user.id) == {"welcome": "immediate", "announcement": "daily"}

    # A group left out keeps its current choice.
    response = client.post("/notifications/preferences", data={"kind_welcome": "off"})
    assert response.status_code == 302
    assert foundation_choices(user.id) == {"welcome": "off", "announcement": "daily"}
