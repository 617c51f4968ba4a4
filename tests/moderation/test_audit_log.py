"""The audit log, on SQLite and PostgreSQL: every action writes its rows
(exactly these, by exactly this actor), every action the code records is
in that table, no code path updates or deletes a row (read from the source;
the model's guard is tested in test_moderation_service.py; on PostgreSQL the
database itself refuses), and a
member who deletes their account keeps their rows, shown as deleted."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from community.accounts import service as accounts
from community.admin.service import announce
from community.chat import service as chat
from community.db import db
from community.moderation import service
from community.moderation.models import AuditEntry
from tests.builders import make_match
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    ann: object  # reports
    ben: object  # is reported
    mod: object
    mod2: object
    admin: object
    messages: list  # Ben's chat messages to Ann
    conversation_id: int
    saved: dict = field(default_factory=dict)


@pytest.fixture
def world(app, make_user) -> World:
    ann = make_user(display_name="Ann Author")
    ben = make_user(display_name="Ben Bother")
    mod = make_user(display_name="Mo Moderator", is_moderator=True)
    mod2 = make_user(display_name="Max Moderator", is_moderator=True)
    admin = make_user(display_name="Ada Admin", is_admin=True)
    _, conversation = make_match(ann, ben)
    messages = [chat.send(ben, conversation.id, f"b{n}", f"line {n}").message for n in range(1, 6)]
    db.session.commit()
    return World(ann, ben, mod, mod2, admin, messages, conversation.id)


def _report(w: World, n: int = 0, by=None, item_type: str = "message"):
    item_id = w.ben.id if item_type == "profile" else w.messages[n].id
    made = service.report(by or w.ann, item_type, item_id, "spam")
    db.session.commit()
    return made


def _warned(w: World):
    service.act(w.mod, _report(w).id, "warn", reason="Be kind.")
    db.session.commit()
    return db.session.scalar(select(AuditEntry).where(AuditEntry.action == "warn"))


def _appealed(w: World):
    appeal = service.ask_for_review(w.ben, _warned(w).id, "I was quoting someone.")
    db.session.commit()
    return appeal


def _reporters(w: World, count: int, make_user):
    return [make_user(display_name=f"Reporter {n}") for n in range(count)]


def _auto_limited(w: World, make_user):
    """Five items of Ben's reported: the fifth limits him (the system)."""
    for n in range(4):
        _report(w, n)
    _report(w, item_type="profile")
    return w


def _auto_hidden(w: World, make_user):
    for reporter in _reporters(w, 3, make_user):
        _report(w, by=reporter, item_type="profile")  # others see a profile, not a chat
    return w


def _dismiss_all_but_last(w: World, make_user):
    _auto_limited(w, make_user)
    cases = service.queue(w.mod)
    for case in cases[:-1]:
        service.act(w.mod, case.first.id, "dismiss", reason="Fine.")
    db.session.commit()
    w.saved["last"] = cases[-1].first.id
    return w


def _cli(*args):
    result = current_app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output


def _hold_a_link(w: World):
    current_app.config.update(TRUST_LIMITS=True, TRUST_NEW_LINKS="hold")
    w.ben.trust_level_set = 0
    chat.send(w.ben, w.conversation_id, "link-1", "cheap pens at www.pens-pens.com")


# name: (prepare(world, make_user) or None, act(world), [(action, who acted)])
ACTIONS = {
    "dismiss": (None, lambda w: service.act(w.mod, _report(w).id, "dismiss", reason="Fine."),
                [("dismiss", "mod")]),
    "hide": (None, lambda w: service.act(w.mod, _report(w).id, "hide"), [("hide", "mod")]),
    "warn": (None, lambda w: service.act(w.mod, _report(w).id, "warn", reason="Be kind."),
             [("warn", "mod")]),
    "limit": (None, lambda w: service.act(w.mod, _report(w).id, "limit", days=3),
              [("limit", "mod")]),
    "suspend for a message": (
        None, lambda w: service.act(w.mod, _report(w).id, "suspend", days=7),
        [("hide", "mod"), ("suspend", "mod")]),
    "suspend for a profile": (
        None, lambda w: service.act(w.mod, _report(w, item_type="profile").id, "suspend"),
        [("suspend", "mod")]),
    "reinstate": (None, lambda w: service.reinstate(w.mod, w.ben, "Lifted."),
                  [("reinstate", "mod")]),
    "set a trust level": (None, lambda w: service.set_trust_level(w.mod, w.ben, 2, "Known."),
                          [("set_trust_level", "mod")]),
    "appoint a moderator": (None, lambda w: service.set_moderator(w.admin, w.ann, True),
                            [("grant_moderator", "admin")]),
    "take the role back": (None, lambda w: service.set_moderator(w.admin, w.mod2, False),
                           [("revoke_moderator", "admin")]),
    "appoint from the command line": (None, lambda w: _cli("moderator", w.ann.email),
                                      [("grant_moderator", "system")]),
    "make an admin from the command line": (
        None, lambda w: _cli("create-admin", "--email", "ops@example.com", "--name", "Ops",
                             "--password", PASSWORD),
        [("grant_admin", "system")]),
    "announce": (None, lambda w: announce(w.admin, "We are moving house"),
                 [("announce", "admin")]),
    "ask for a review": (lambda w, _: w.saved.update(entry=_warned(w).id),
                         lambda w: service.ask_for_review(w.ben, w.saved["entry"], "Look again."),
                         [("appeal", "ben")]),
    "uphold on review": (lambda w, _: w.saved.update(appeal=_appealed(w).id),
                         lambda w: service.decide_appeal(w.mod2, w.saved["appeal"], "uphold", ""),
                         [("uphold", "mod2")]),
    "reinstate on review": (
        lambda w, _: w.saved.update(appeal=_appealed(w).id),
        lambda w: service.decide_appeal(w.mod2, w.saved["appeal"], "reinstate", ""),
        [("reinstate", "mod2")]),
    "hide automatically": (
        lambda w, make_user: [_report(w, by=r, item_type="profile")
                              for r in _reporters(w, 2, make_user)],
        lambda w: _report(w, item_type="profile"), [("hide", "system")]),
    "limit automatically": (
        lambda w, _: [_report(w, n) for n in range(4)],
        lambda w: _report(w, item_type="profile"), [("limit", "system")]),
    "dismiss undoes an automatic hide": (
        _auto_hidden,
        lambda w: service.act(w.mod, service.queue(w.mod)[0].first.id, "dismiss", reason="Ok."),
        [("dismiss", "mod"), ("unhide", "system")]),
    "dismiss lifts an automatic limit": (
        _dismiss_all_but_last,
        lambda w: service.act(w.mod, w.saved["last"], "dismiss", reason="Ok."),
        [("dismiss", "mod"), ("lift_limit", "system")]),
    "hold a new member's link": (None, _hold_a_link, [("hold", "system")]),
}  # fmt: skip


def _newest_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_writes_exactly_its_audit_rows(world, make_user, name):
    prepare, act, expected = ACTIONS[name]
    if prepare is not None:
        prepare(world, make_user)
        db.session.commit()
    before = _newest_id()
    act(world)
    db.session.commit()
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)
    ).all()
    people = {
        None: "system",
        **{getattr(world, who).id: who for who in ("ann", "ben", "mod", "mod2", "admin")},
    }
    assert [(row.action, people.get(row.actor_id, "?")) for row in rows] == expected
    for row in rows:
        if row.actor_id is None:
            assert row.actor_name == "the system"
        assert row.created_at is not None


def _recorded_actions() -> set[str]:
    """Every action name the application passes to ``record`` (read from the source)."""
    found: set[str] = set()
    for path in (ROOT / "community").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and len(node.args) >= 2):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name != "record":
                continue
            action = node.args[1]
            options = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
            for option in options:
                assert isinstance(option, ast.Constant), f"{path}: record() with a computed action"
                found.add(option.value)
    return found


def test_every_action_the_code_records_is_tested_above():
    """A new kind of audited action without its row in ACTIONS fails here."""
    covered = {action for *_, rows in ACTIONS.values() for action, _who in rows}
    recorded = _recorded_actions()
    assert recorded, "no record() call found: the scan is broken"
    assert recorded <= covered, f"untested audited actions: {sorted(recorded - covered)}"


# --- nothing updates or deletes a row ---------------------------------------------


def _changes_to_the_audit_log(source: str) -> list[int]:
    """Lines of ``source`` with an update or delete aimed at the audit log:
    ``update(AuditEntry)``, ``delete(AuditEntry)``, ``query(AuditEntry)...
    .delete()``, ``AuditEntry.__table__.update()``, or SQL text that updates
    or deletes from ``audit_log``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("update", "delete", "bulk_update_mappings"):
                named = {getattr(n, "id", getattr(n, "attr", None)) for n in ast.walk(node)}
                if "AuditEntry" in named:
                    lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = " ".join(node.value.lower().replace('"', " ").split())
            if any(
                f"{verb} {target}" in words
                for verb in ("update", "delete from", "truncate")
                for target in ("audit_log", "table audit_log")
            ):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_the_scan_finds_changes_to_the_audit_log():
    caught = """
update(AuditEntry).values(reason="")
db.session.execute(delete(AuditEntry).where(AuditEntry.id == 1))
db.session.query(AuditEntry).filter_by(id=1).delete()
AuditEntry.__table__.update()
db.session.execute(text('DELETE FROM "audit_log" WHERE id = 1'))
db.session.execute(text("update audit_log set reason = ''"))
"""
    assert _changes_to_the_audit_log(caught) == [2, 3, 4, 5, 6, 7]
    fine = "select(AuditEntry).where(AuditEntry.id == 1)\nupdate(Report).values(status='x')\n"
    assert _changes_to_the_audit_log(fine) == []


def test_no_code_path_updates_or_deletes_an_audit_row():
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "community").rglob("*.py"))
        if (lines := _changes_to_the_audit_log(path.read_text()))
    }
    assert offenders == {}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(AuditEntry).values(reason="rewritten"),
        lambda: delete(AuditEntry),
        lambda: text("UPDATE audit_log SET actor_name = 'someone else'"),
        lambda: text("DELETE FROM audit_log"),
    ],
    ids=["core update", "core delete", "sql update", "sql delete"],
)
def test_postgresql_itself_refuses_to_change_or_delete_a_row(world, statement):
    """What the model's guard cannot see (a bulk statement, raw SQL, a
    console) the database refuses: a trigger installed by migration 0011."""
    entry = service.record(world.mod, "warn", member=world.ben, reason="Be kind.")
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(statement().execution_options(synchronize_session=False))
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).reason == "Be kind."
    service.record(world.mod, "warn", member=world.ann, reason="Inserting still works.")
    db.session.commit()


# --- a member who deletes their account ---------------------------------------------


def test_a_deleted_members_rows_stay_and_show_them_as_deleted(world, client):
    ben = world.ben
    service.act(world.mod, _report(world).id, "warn", reason="Be kind.")
    db.session.commit()
    rows_before = [
        (e.id, e.action, e.member_name, e.reason)
        for e in db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == ben.id))
    ]
    accounts.delete_account(ben, PASSWORD)
    db.session.commit()
    rows_after = [
        (e.id, e.action, e.member_name, e.reason)
        for e in db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == ben.id))
    ]
    assert rows_after == rows_before == [(rows_before[0][0], "warn", "Ben Bother", "Be kind.")]
    assert service.deleted_among(service.audit_page()) == {ben.id}
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    page = client.get(f"/moderation/audit?member={ben.id}").get_data(as_text=True)
    assert "Ben Bother</a> <small>(account deleted)</small>" in page
    csv_text = client.get(f"/moderation/audit.csv?member={ben.id}").get_data(as_text=True)
    header, row = csv_text.splitlines()[:2]
    assert header.endswith(",member_deleted") and row.endswith(",yes")
