"""Moderation's rules, on SQLite and PostgreSQL: reports, actions, the race
between two moderators, the automatic first response (and its race), appeals,
the append-only audit log, and trust levels."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community import blocks, trust
from community.accounts.models import LoginSession
from community.chat import service as chat
from community.db import db, utcnow
from community.errors import Conflict, Invalid, NotAllowed, NotFound, RateLimited
from community.moderation import service
from community.moderation.models import AuditEntry, HiddenItem, Report
from community.notifications.models import Notification
from tests.builders import make_match


@pytest.fixture
def people(make_user):
    ann = make_user(display_name="Ann Author")
    ben = make_user(display_name="Ben Bother")
    mod = make_user(display_name="Mo Moderator", is_moderator=True)
    mod2 = make_user(display_name="Max Moderator", is_moderator=True)
    _, conversation = make_match(ann, ben)
    messages = [
        chat.send(ann if n % 2 else ben, conversation.id, f"m{n}", f"line {n}").message
        for n in range(1, 9)
    ]
    db.session.commit()
    return ann, ben, mod, mod2, conversation, messages


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def notes(user, kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


def test_a_chat_report_freezes_the_message_and_those_around_it(people):
    ann, _ben, mod, _, _, messages = people
    reported = messages[3]  # seq 4, by Ben
    report = service.report(ann, "message", reported.id, "harassment", "He keeps at it.")
    db.session.commit()
    frozen = report.context["messages"]
    assert [m["seq"] for m in frozen] == [1, 2, 3, 4, 5, 6, 7]
    assert [m["reported"] for m in frozen].count(True) == 1
    # The sender changes the text later: the report keeps what was said.
    reported.body = "something else"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Report, report.id).context["messages"][3]["body"] == "line 4"
    # Moderators hear of the first report after an empty queue.
    assert len(notes(mod, "moderation_queue")) == 1


def test_report_rules(people, app):
    ann, _ben, mod, _, _conversation, messages = people
    with pytest.raises(Invalid):
        service.report(ann, "message", messages[0].id, "spam")  # her own
    with pytest.raises(Invalid):
        service.report(ann, "message", messages[1].id, "bored")
    with pytest.raises(NotFound):
        service.report(mod, "message", messages[1].id, "spam")  # not his conversation
    with pytest.raises(NotFound):
        service.report(ann, "nonsense", 1, "spam")
    service.report(ann, "message", messages[1].id, "spam")
    db.session.commit()
    with pytest.raises(Conflict):
        service.report(ann, "message", messages[1].id, "spam")


@pytest.mark.parametrize("settings", [{"REPORT_RATE_LIMIT": "2 per hour"}])
def test_reports_are_rate_limited(people):
    ann, _ben, *_, messages = people
    service.report(ann, "message", messages[1].id, "spam")
    service.report(ann, "message", messages[3].id, "spam")
    with pytest.raises(RateLimited):
        service.report(ann, "message", messages[5].id, "spam")


def test_report_and_block_in_one_step(people):
    ann, ben, *_, messages = people
    service.report(ann, "message", messages[1].id, "harassment", block=True)
    db.session.commit()
    assert blocks.has_blocked(ann.id, ben.id)


def test_hide_replaces_the_message_everywhere_and_tells_the_reporter(people):
    ann, _ben, mod, _, _conversation, messages = people
    report = service.report(ann, "message", messages[1].id, "harassment")
    db.session.commit()
    service.act(mod, report.id, "hide", reason="abuse")
    db.session.commit()
    payload = chat.message_payload(messages[1])
    assert payload["body"] == service.REMOVED and "line 2" not in payload["html"]
    assert len(audit("hide")) == 1
    [outcome] = notes(ann, "report_outcome")
    assert "acted on your report" in outcome.data["line"]
    assert "Ben" not in outcome.data["line"]
    assert db.session.get(Report, report.id).status == "actioned"


def test_warn_notifies_and_emails_the_member(people, mailbox):
    ann, ben, mod, _, _, messages = people
    report = service.report(ann, "message", messages[1].id, "harassment")
    with pytest.raises(Invalid):
        service.act(mod, report.id, "warn", reason="")
    service.act(mod, report.id, "warn", reason="Please be kind to Ann.")
    db.session.commit()
    [warning] = notes(ben, "moderation_warning")
    assert warning.data["words"] == "Please be kind to Ann."


def test_limit_stops_new_things_but_not_replies(people, make_user):
    ann, ben, mod, _, _conversation, messages = people
    report = service.report(ann, "message", messages[1].id, "spam")
    service.act(mod, report.id, "limit", reason="cool down", days=7)
    db.session.commit()
    assert ben.is_limited
    assert trust.refusal(ben, "follow")
    assert trust.refusal(ben, "request")
    assert trust.refusal(ben, "message", text="still here") is None


def test_suspend_ends_sessions_and_helping_and_always_emails(people, client, auth, mailbox):
    ann, ben, mod, _, _conversation, messages = people
    from community.notifications.service import set_preference

    set_preference(ben.id, "moderation_suspended", "off")
    db.session.commit()
    auth.login(ben.email)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(LoginSession.user_id == ben.id)) == 1
    report = service.report(ann, "message", messages[1].id, "harassment")
    service.act(mod, report.id, "suspend", reason="abuse", days=7)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(LoginSession.user_id == ben.id)) == 0
    assert ben.is_suspended and not ben.is_active
    from community.helping.models import Match

    assert db.session.scalar(select(Match.status)) == "cancelled"
    assert any("suspended" in mailbox.text(m) for m in mailbox.to(ben.email))
    # The login page refuses, and offers the review instead.
    response = auth.login(ben.email)
    assert response.headers["Location"].endswith("/standing")
    assert client.get("/chats").status_code == 302


def test_two_moderators_at_once_one_wins(people, app):
    ann, _ben, mod, mod2, _, messages = people
    report = service.report(ann, "message", messages[1].id, "harassment")
    db.session.commit()
    report_id, ids = report.id, (mod.id, mod2.id)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def moderate(moderator_id: int, action: str) -> None:
        with app.app_context():
            from community.accounts.models import User

            moderator = db.session.get(User, moderator_id)
            barrier.wait()
            try:
                service.act(moderator, report_id, action, reason="seen", days=3)
                db.session.commit()
                results.append("won")
            except Conflict:
                db.session.rollback()
                results.append("already handled")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=moderate, args=(ids[0], "limit")),
        threading.Thread(target=moderate, args=(ids[1], "dismiss")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already handled", "won"]
    db.session.expire_all()
    effects = db.session.scalar(
        select(func.count()).where(AuditEntry.action.in_(("limit", "dismiss")))
    )
    assert effects == 1


@pytest.mark.parametrize("settings", [{"AUTO_HIDE_REPORTERS": 2, "AUTO_LIMIT_REPORTS": 99}])
def test_automatic_hide_at_n_reporters_exactly_once_under_a_race(app, make_user):
    from community.network import follows

    ben = make_user(display_name="Ben Bother")
    readers = [make_user(display_name=f"Reader {n}") for n in range(3)]
    for reader in readers:
        follows.follow(reader, ben)
    db.session.commit()
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def report(reader_id: int) -> None:
        with app.app_context():
            from community.accounts.models import User

            reader = db.session.get(User, reader_id)
            barrier.wait()
            try:
                service.report(reader, "profile", ben.id, "spam")
                db.session.commit()
                outcomes.append("ok")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=report, args=(r.id,)) for r in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ok"] * 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HiddenItem)) == 1
    hides = audit("hide")
    assert len(hides) == 1 and hides[0].actor_id is None


@pytest.mark.parametrize("settings", [{"AUTO_HIDE_REPORTERS": 99, "AUTO_LIMIT_REPORTS": 2}])
def test_automatic_limit_and_its_undoing_by_dismiss(people, make_user):
    ann, ben, mod, _, _, messages = people
    r1 = service.report(ann, "message", messages[1].id, "spam")
    service.report(ann, "message", messages[3].id, "spam")
    db.session.commit()
    assert ben.is_limited and ben.limited_automatically
    [limit] = audit("limit")
    assert limit.actor_id is None and limit.actor_name == "the system"
    service.act(mod, r1.id, "dismiss", reason="banter")
    db.session.commit()
    assert ben.is_limited  # one report still open
    service.act(mod, service.queue(mod)[0].first.id, "dismiss", reason="banter")
    db.session.commit()
    assert not ben.is_limited
    assert len(audit("lift_limit")) == 1


@pytest.mark.parametrize("settings", [{"AUTO_HIDE_REPORTERS": 1}])
def test_dismiss_undoes_an_automatic_hide(people):
    ann, _ben, mod, _, _, messages = people
    report = service.report(ann, "message", messages[1].id, "spam")
    db.session.commit()
    assert chat.message_payload(messages[1])["body"] == service.REMOVED
    service.act(mod, report.id, "dismiss", reason="a joke between friends")
    db.session.commit()
    assert db.session.get(HiddenItem, ("message", messages[1].id)) is None
    assert len(audit("unhide")) == 1
    [outcome] = notes(ann, "report_outcome")
    assert "within the community's guidelines" in outcome.data["line"]


def test_appeal_once_decided_by_a_different_moderator(people):
    ann, ben, mod, mod2, _, messages = people
    report = service.report(ann, "message", messages[1].id, "harassment")
    service.act(mod, report.id, "suspend", reason="abuse", days=7)
    db.session.commit()
    # The suspension, and the hiding of the message that came with it.
    assert [e.action for e in service.appealable(ben)] == ["suspend", "hide"]
    entry = service.appealable(ben)[0]
    with pytest.raises(Invalid):
        service.ask_for_review(ben, entry.id, "")
    appeal = service.ask_for_review(ben, entry.id, "I was quoting my novel's villain.")
    db.session.commit()
    with pytest.raises(Conflict):
        service.ask_for_review(ben, entry.id, "Again")
    db.session.rollback()
    with pytest.raises(NotAllowed):
        service.decide_appeal(mod, appeal.id, "reinstate", "")
    service.decide_appeal(mod2, appeal.id, "reinstate", "Fiction, in context.")
    db.session.commit()
    assert not ben.is_suspended
    with pytest.raises(Conflict):
        service.decide_appeal(mod2, appeal.id, "uphold", "")
    assert len(notes(ben, "moderation_reinstated")) == 1


def test_only_moderators_act(people):
    ann, ben, _mod, _, _, messages = people
    report = service.report(ann, "message", messages[1].id, "spam")
    with pytest.raises(NotAllowed):
        service.act(ann, report.id, "hide")
    with pytest.raises(NotAllowed):
        service.queue(ben)


def test_the_audit_log_is_append_only(people):
    _ann, ben, mod, *_ = people
    entry = service.record(mod, "warn", member=ben, reason="x")
    db.session.commit()
    entry.reason = "rewritten"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_audit_filters_and_csv(people, make_user):
    ann, ben, mod, mod2, *_ = people
    service.record(mod, "warn", member=ben, reason="=cmd()")
    service.record(mod2, "warn", member=ann, reason="b")
    db.session.commit()
    assert [e.member_id for e in service.audit_page(actor_id=mod.id)] == [ben.id]
    assert [e.actor_id for e in service.audit_page(member_id=ann.id)] == [mod2.id]
    text = service.audit_csv(member_id=ben.id)
    assert text.splitlines()[0].startswith("id,created_at,actor_id")
    assert "'=cmd()" in text and ",b" not in text


def test_announcements_and_appointments_are_audited(make_user):
    from community.admin.service import announce

    admin = make_user(is_admin=True)
    member = make_user()
    announce(admin, "The site is moving")
    service.set_moderator(admin, member, True)
    with pytest.raises(NotAllowed):
        service.set_moderator(member, admin, True)
    db.session.commit()
    assert [e.action for e in service.audit_page()] == ["grant_moderator", "announce"]


def test_queue_groups_cases_and_counts_queries(people, make_user, count_queries):
    ann, ben, mod, _, _, messages = people
    for _n in range(6):
        reporter = make_user()
        service.report(reporter, "profile", ben.id, "spam")
        other = make_user()
        service.report(reporter, "profile", other.id, "spam")
    service.report(ann, "message", messages[1].id, "spam")
    db.session.commit()
    with count_queries() as counter:
        cases = service.queue(mod)
    assert len(cases) == 8
    assert sum(len(c.reports) for c in cases) == 13
    # The cases, their reports, the people in them, hidden items, four of history.
    assert counter.count <= 9


@pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True}])
def test_trust_levels_limit_new_members(make_user):
    newcomer = make_user()
    assert trust.level_of(newcomer).number == 0
    allowed = sum(trust.refusal(newcomer, "follow") is None for _ in range(15))
    assert allowed == trust.LEVELS[0].follows
    assert trust.refusal(newcomer, "message", text="see https://spam.example") is not None
    veteran = make_user(email_verified_at=utcnow() - timedelta(days=20))
    assert trust.level_of(veteran).number == 1  # no thanks yet
    assert trust.refusal(veteran, "message", text="see https://example.com") is None
    veteran.trust_level_set = 3
    assert trust.refusal(veteran, "follow") is None


@pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True, "TRUST_NEW_LINKS": "hold"}])
def test_a_new_members_link_is_held_for_a_moderator(make_user):
    ann, ben = make_user(), make_user()
    _, conversation = make_match(ann, ben)
    sent = chat.send(ben, conversation.id, "l1", "buy at www.cheap-stuff.com").message
    db.session.commit()
    assert chat.message_payload(sent)["body"] == service.HELD
    assert service.open_case_count() == 1
    assert len(audit("hold")) == 1


@pytest.mark.parametrize("settings", [{"TRUST_LIMITS": True, "RATELIMIT_ENABLED": False}])
def test_trust_limits_without_rate_limiting_count_nothing_and_never_fail(make_user):
    """With RATELIMIT_ENABLED off Flask-Limiter has no storage: the trust
    levels' daily counts (and the report limit) allow, rather than a 500."""
    newcomer = make_user()
    assert all(trust.refusal(newcomer, "follow") is None for _ in range(20))
    assert trust.refusal(newcomer, "conversation") is None


def test_the_queue_pages_the_same_cases_as_grouping_every_open_report(people, make_user):
    """The queue reads open reports in id order until it has its cases; that
    must be the GROUP BY ... ORDER BY min(id) answer, whatever the limit (and
    past the first batch it reads)."""
    ann, ben, mod, _, _, messages = people
    reporters = [make_user() for _ in range(4)]
    others = [make_user() for _ in range(3)]
    for n, reporter in enumerate(reporters):
        for member in [ben, *others][n % 2 :]:
            service.report(reporter, "profile", member.id, "spam")
    service.report(ann, "message", messages[1].id, "spam")
    service.report(ann, "message", messages[3].id, "spam")
    db.session.commit()
    service.act(mod, service.queue(mod)[1].first.id, "dismiss", reason="fine")
    db.session.commit()
    oldest = func.min(Report.id)
    reference = [
        tuple(row)
        for row in db.session.execute(
            select(Report.reported_id, Report.item_type, Report.item_id)
            .where(Report.status == "open")
            .group_by(Report.reported_id, Report.item_type, Report.item_id)
            .order_by(oldest)
        )
    ]
    assert len(reference) == 5
    for limit in range(1, 8):
        assert [case.key for case in service.queue(mod, limit=limit)] == reference[:limit]
