"""Moderation through the pages, without JavaScript: report and block, the
queue and its buttons, "removed by a moderator", a suspended member's
review, the audit log and its CSV, the count of the queue's queries."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from community import blocks
from community.chat import service as chat
from community.db import db
from community.moderation import service
from community.moderation.models import AuditEntry, Report
from tests.builders import make_match
from tests.factories import PASSWORD


def login(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def setup_chat(make_user):
    ann = make_user(display_name="Ann Author")
    ben = make_user(display_name="Ben Bother")
    mod = make_user(display_name="Mo Moderator", is_moderator=True)
    _, conversation = make_match(ann, ben)
    message = chat.send(ben, conversation.id, "b1", "You write badly and you know it").message
    db.session.commit()
    return ann, ben, mod, conversation, message


def test_report_from_the_chat_page_and_block(app, client, make_user):
    ann, ben, _mod, conversation, message = setup_chat(make_user)
    login(client, ann)
    page = client.get(f"/chats/{conversation.id}").get_data(as_text=True)
    assert f"/report/message/{message.id}" in page
    form = client.get(f"/report/message/{message.id}")
    assert form.status_code == 200 and "You write badly" in form.get_data(as_text=True)
    # No reason: the form comes back with the words kept.
    response = client.post(f"/report/message/{message.id}", data={"words": "It hurts."})
    assert response.status_code == 400 and "It hurts." in response.get_data(as_text=True)
    response = client.post(
        f"/report/message/{message.id}",
        data={"reason": "harassment", "words": "It hurts.", "block": "y", "next": "/chats"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/chats"
    assert blocks.has_blocked(ann.id, ben.id)
    assert db.session.scalar(select(Report.words)) == "It hurts."


def test_queue_shows_the_frozen_context_and_suspends(app, client, make_user):
    ann, ben, mod, _conversation, message = setup_chat(make_user)
    report = service.report(ann, "message", message.id, "harassment")
    db.session.commit()
    login(client, mod)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "You write badly" in page and "Ben Bother" in page
    response = client.post(
        f"/moderation/reports/{report.id}/act",
        data={"action": "suspend", "reason": "abuse", "days": "7"},
    )
    assert response.status_code == 302
    # The second click (another moderator's tab) is told it is handled.
    client.post(f"/moderation/reports/{report.id}/act", data={"action": "hide", "reason": "x"})
    page = client.get("/moderation/").get_data(as_text=True)
    assert "already handled" in page
    db.session.expire_all()
    assert ben.is_suspended
    # Ben cannot log in; he can ask for a review from where the login sends him.
    client.post("/logout")
    response = client.post("/login", data={"email": ben.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/standing")
    page = client.get("/standing").get_data(as_text=True)
    assert "suspended" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "suspend"))
    response = client.post(f"/standing/{entry.id}/appeal", data={"words": ""})
    assert response.status_code == 400
    response = client.post(f"/standing/{entry.id}/appeal", data={"words": "Please look again."})
    assert response.status_code == 302
    assert client.get("/chats").status_code == 302  # still not signed in


def test_a_hidden_message_reads_removed_by_a_moderator(app, client, make_user):
    ann, ben, mod, conversation, message = setup_chat(make_user)
    report = service.report(ann, "message", message.id, "harassment")
    service.act(mod, report.id, "hide", reason="abuse")
    db.session.commit()
    login(client, ann)
    page = client.get(f"/chats/{conversation.id}").get_data(as_text=True)
    assert "removed by a moderator" in page and "You write badly" not in page
    login(client, ben)
    page = client.get(f"/chats/{conversation.id}").get_data(as_text=True)
    assert "removed by a moderator" in page and "You write badly" not in page


def test_audit_log_filters_and_csv_for_admins_only(app, client, make_user):
    ann, ben, mod, _conversation, _message = setup_chat(make_user)
    admin = make_user(is_admin=True)
    service.record(mod, "warn", member=ben, reason="first-warning")
    service.record(mod, "warn", member=ann, reason="other-warning")
    db.session.commit()
    login(client, mod)
    assert client.get("/moderation/audit").status_code == 403
    login(client, admin)
    page = client.get(f"/moderation/audit?member={ben.id}").get_data(as_text=True)
    assert "first-warning" in page and "other-warning" not in page
    csv = client.get(f"/moderation/audit.csv?moderator={mod.id}")
    assert csv.mimetype == "text/csv" and "first-warning" in csv.get_data(as_text=True)
    assert client.get("/moderation/audit?member=abc&before=-1").status_code == 200
    response = client.post("/moderation/moderators", data={"email": ann.email, "grant": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert ann.is_moderator


def test_queue_page_queries_are_bounded(app, client, make_user, count_queries):
    ann, ben, mod, _conversation, message = setup_chat(make_user)
    login(client, mod)

    def queue_queries() -> int:
        with count_queries() as counter:
            response = client.get("/moderation/")
            assert response.status_code == 200, response.headers.get("Location")
        return counter.count

    service.report(ann, "message", message.id, "spam")
    db.session.commit()
    few = queue_queries()
    for _ in range(5):
        reporter, target = make_user(), make_user()
        service.report(reporter, "profile", target.id, "spam")
        service.report(reporter, "profile", ben.id, "spam")
    db.session.commit()
    assert queue_queries() == few


@pytest.mark.parametrize("settings", [{"WTF_CSRF_ENABLED": True}], ids=["csrf"])
def test_every_case_form_carries_the_token_and_acting_works(app, client, make_user):
    """The queue renders its CSRF field once and reuses it in every case's form."""
    ann, ben, mod, _conversation, message = setup_chat(make_user)
    first = service.report(ann, "message", message.id, "harassment")
    service.report(ann, "profile", ben.id, "spam")
    db.session.commit()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    response = client.post(
        "/login", data={"email": mod.email, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert response.status_code == 302
    page = client.get("/moderation/").text
    forms = re.findall(r'<form method="post" action="/moderation/reports/\d+/act".*?</form>', page,
                       re.S)  # fmt: skip
    tokens = {re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', f)[1] for f in forms}
    assert len(forms) == 2 and len(tokens) == 1
    response = client.post(
        f"/moderation/reports/{first.id}/act",
        data={"action": "hide", "reason": "", "csrf_token": tokens.pop()},
    )
    assert response.status_code == 302
    assert "Hidden." in client.get("/moderation/").text


@pytest.mark.parametrize("settings", [{"REPORT_RATE_LIMIT": "100 per hour"}])
def test_the_queue_pages_through_its_cases_oldest_first(app, client, make_user):
    ann, _ben, mod, _conversation, _message = setup_chat(make_user)
    members = [make_user(display_name=f"Member {n:02}") for n in range(service.QUEUE_PAGE + 3)]
    for member in members:
        service.report(ann, "profile", member.id, "spam")
    db.session.commit()
    login(client, mod)
    first = client.get("/moderation/").text
    assert first.count('class="case"') == service.QUEUE_PAGE
    assert "Member 00" in first and "Member 22" not in first and "?page=2" in first
    second = client.get("/moderation/?page=2").text
    assert second.count('class="case"') == 3 and "Member 22" in second
    assert "Member 00" not in second and "Previous cases" in second
    for hostile in ("abc", "-1", "0", "99999999999999999999"):
        assert client.get(f"/moderation/?page={hostile}").status_code == 200
    assert "No more cases" in client.get("/moderation/?page=7").text
