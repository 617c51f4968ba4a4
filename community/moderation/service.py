"""Moderation: reports, the queue's actions, the automatic first response,
appeals, and the append-only audit log. Every rule of the area is here; the
views, the CLI and the jobs call these functions. They flush, never commit.

The rules:

- A member reports what another member wrote (see ``ITEM_TYPES``) that they
  can see, once per item, a few times an hour (``REPORT_RATE_LIMIT``), with
  a reason from ``REASONS``; they may block the author in the same step.
  What the moderator needs is frozen into the report then: the text, and
  for a chat message the few messages before and after it. Nobody but
  moderators learns who reported.
- A *case* is the open reports of one item (reported member, item type and
  id). Moderators act on a case: dismiss, hide, warn, limit, suspend. The
  case leaves "open" by one conditional UPDATE: of two moderators acting at
  once, one wins and the other gets a Conflict ("already handled"); only
  the winner's effects and audit rows are written.
- Automatic first response: when ``AUTO_HIDE_REPORTERS`` distinct members in
  good standing have reported an item it is hidden pending review; when a
  member has ``AUTO_LIMIT_REPORTS`` open reports against them they are
  limited pending review. A report takes a lock on the reported member's
  row first (an UPDATE, which serialises on both databases), so when the
  Nth report arrives twice at once each effect still happens exactly once.
  A dismiss undoes what the system did for that case.
- Every action, by a moderator, an admin or the system, adds one
  :class:`AuditEntry`; no code updates or deletes one (the model refuses).
- A member warned, limited, suspended or whose item was hidden may ask once
  for a review of that action; a moderator other than the one who acted
  decides it (upholds, or reinstates: the action is undone).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from community import blocking, limits
from community.accounts.models import User
from community.accounts.sessions import end_all_login_sessions
from community.blocks import Block
from community.chat import push
from community.chat.models import ConversationMember, Message
from community.chat.service import message_payload
from community.db import after_commit, db, utcnow
from community.errors import Conflict, Invalid, NotAllowed, NotFound, RateLimited
from community.helping.closure import ClosureWord, words_about
from community.helping.models import Answer, AnswerComment, HelpRequest
from community.helping.withdrawal import withdraw_member
from community.kindness.models import Thanks
from community.mail.outbox import queue_email
from community.manuscripts import service as manuscripts
from community.moderation.models import (
    ITEM_TYPES,
    REASONS,
    Appeal,
    AuditEntry,
    HiddenItem,
    Report,
)
from community.network.models import Welcome
from community.notifications.kinds import IMMEDIATE, KINDS
from community.notifications.service import link_args, notify, render_message
from community.safety import (  # noqa: F401 (HELD, REMOVED, hidden_ids, hold_for_review, open_case_count, removed_text: this area's names)
    HELD,
    REMOVED,
    Item,
    file_report,
    hidden_ids,
    hidden_row,
    hold_for_review,
    member_moderators,
    open_case_count,
    record,
    removed_text,
    tell_moderators_queue_started,
)
from community.trust import LEVELS
from community.urls import external_url

WORDS_MAX = 1000
CONTEXT_AROUND = 3  # chat messages frozen before and after the reported one
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
ACTIONS = ("dismiss", "hide", "warn", "limit", "suspend")
APPEALABLE = ("hide", "warn", "limit", "suspend")
# The reading room says who may see its comments and passages, and what of
# them a report keeps (only the reported words: moderators never read the text).
MANUSCRIPT_ITEMS = {
    manuscripts.COMMENT_ITEM: manuscripts.reportable_comment,
    manuscripts.PASSAGE_ITEM: manuscripts.reportable_passage,
}


# --- the audit log ----------------------------------------------------------------


def audit_page(
    *, member_id: int | None = None, actor_id: int | None = None, before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:  # fmt: skip
    """Newest first; filtered by member and/or moderator; ``before`` an id to page."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list(db.session.scalars(query))


def deleted_among(entries: list[AuditEntry]) -> set[int]:
    """The ids of members named in ``entries`` (as member or actor) who have
    since deleted their account: their rows stay, shown as deleted."""
    ids = {e.member_id for e in entries} | {e.actor_id for e in entries}
    ids.discard(None)
    if not ids:
        return set()
    return set(
        db.session.scalars(select(User.id).where(User.id.in_(ids), User.deleted_at.isnot(None)))
    )


def audit_csv(*, member_id: int | None = None, actor_id: int | None = None) -> str:
    """The (filtered) audit log as CSV, oldest first. ``member_deleted``: the
    member named has deleted their account since (the row keeps the name
    they had then)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ("id", "created_at", "actor_id", "actor_name", "action", "member_id",
               "member_name", "item_type", "item_id", "reason")  # fmt: skip
    writer.writerow([*columns, "member_deleted"])
    query = (
        select(AuditEntry, User.deleted_at)
        .outerjoin(User, User.id == AuditEntry.member_id)
        .order_by(AuditEntry.id)
    )
    if member_id is not None:
        query = query.where(AuditEntry.member_id == member_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    for entry, deleted_at in db.session.execute(query.execution_options(yield_per=500)):
        row = [getattr(entry, name) for name in columns]
        row[1] = entry.created_at.isoformat()
        row.append("yes" if deleted_at is not None else "")
        # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
        writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@" else c for c in row])
    return out.getvalue()


# --- roles --------------------------------------------------------------------------


def require_moderator(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.can_moderate:
        raise NotAllowed("Only moderators can do that.")


def set_moderator(actor: User | None, member: User, on: bool) -> bool:
    """Grant or take back the moderator role (admins; ``actor`` None: the CLI).
    Returns False when nothing changed."""
    if actor is not None and not actor.is_admin:
        raise NotAllowed("Only admins appoint moderators.")
    if member.is_moderator == on:
        return False
    member.is_moderator = on
    record(actor, "grant_moderator" if on else "revoke_moderator", member=member)
    return True


def set_trust_level(moderator: User, member: User, level: int | None, reason: str) -> None:

    require_moderator(moderator)
    if level is not None and not 0 <= level < len(LEVELS):
        raise Invalid("Choose a level from the table.", "level")
    member.trust_level_set = level
    record(moderator, "set_trust_level", member=member, reason=reason, level=level)


# --- reporting ----------------------------------------------------------------------


def access_item(viewer: User, item_type: str, item_id: int) -> Item:
    """The item as the viewer can see it, with its author and text, or NotFound
    (missing and "not yours to see" answer alike)."""

    if item_type not in ITEM_TYPES:
        raise NotFound()
    if item_type == "profile":
        member = db.session.get(User, item_id)
        if member is None or member.is_deleted:
            raise NotFound()
        about = member.profile.about if member.profile is not None else ""
        return Item("profile", member.id, member, about)
    if item_type == "request":
        row = db.session.get(HelpRequest, item_id)
        if row is None:
            raise NotFound()
        return Item("request", row.id, row.requester, f"{row.title}\n\n{row.details}")
    if item_type == "answer":
        row = db.session.get(Answer, item_id)
        if row is None or viewer.id not in (row.volunteer_id, row.request.requester_id):
            raise NotFound()
        return Item("answer", row.id, db.session.get(User, row.volunteer_id), row.note)
    if item_type == "comment":
        row = db.session.get(AnswerComment, item_id)
        if row is None:
            raise NotFound()
        answer = db.session.get(Answer, row.answer_id)
        if viewer.id not in (answer.volunteer_id, answer.request.requester_id):
            raise NotFound()
        return Item("comment", row.id, db.session.get(User, row.author_id), row.body)
    if item_type == "welcome":
        row = db.session.get(Welcome, item_id)
        if row is None or viewer.id not in (row.sender_id, row.recipient_id):
            raise NotFound()
        return Item("welcome", row.id, db.session.get(User, row.sender_id), row.body)
    if item_type == "thanks":
        row = db.session.get(Thanks, item_id)
        if row is None or viewer.id not in (row.author_id, row.helper_id):
            raise NotFound()
        return Item("thanks", row.id, db.session.get(User, row.author_id), row.body)
    if item_type in MANUSCRIPT_ITEMS:
        found = MANUSCRIPT_ITEMS[item_type](viewer, item_id)
        return Item(item_type, item_id, found.author, found.text, found.context)
    # A chat message: only the conversation's members see it.
    message = db.session.get(Message, item_id)
    if message is None or (
        db.session.get(ConversationMember, (message.conversation_id, viewer.id)) is None
    ):
        raise NotFound()
    around = db.session.scalars(
        select(Message)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.seq.between(message.seq - CONTEXT_AROUND, message.seq + CONTEXT_AROUND),
        )
        .order_by(Message.seq)
        .options(joinedload(Message.sender))
    ).all()
    context = {
        "messages": [
            {
                "id": m.id,
                "seq": m.seq,
                "sender_id": m.sender_id,
                "sender": m.sender.display_name,
                "body": m.body,
                "at": m.created_at.isoformat(),
                "reported": m.id == message.id,
            }
            for m in around
        ]
    }
    return Item("message", message.id, message.sender, message.body, context)


def report(
    reporter: User,
    item_type: str,
    item_id: int,
    reason: str,
    words: str = "",
    *,
    block: bool = False,
) -> Report:
    """``reporter`` reports an item; optionally blocks its author. Flushes.

    Raises NotFound (no such item for them), Invalid (reason, words, their
    own item), Conflict (reported already), RateLimited. Runs the automatic
    first response and tells moderators when the queue was empty.
    """
    item = access_item(reporter, item_type, item_id)
    if item.author.id == reporter.id:
        raise Invalid("This is your own; you can edit or delete it instead.")
    if reason not in REASONS:
        raise Invalid("Choose a reason from the list.", "reason")
    words = (words or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(words) > WORDS_MAX:
        raise Invalid(f"Use at most {WORDS_MAX:,} characters.", "words")
    if _already_reported(reporter.id, item_type, item_id):
        raise Conflict("You have reported this already; a moderator will look at it.")
    _check_rate(reporter.id)
    queue_was_empty = open_case_count() == 0
    _lock_member(item.author.id)
    new = file_report(reporter, item, reason, words)
    if new is None:
        raise Conflict("You have reported this already; a moderator will look at it.")
    if block:
        blocking.block(reporter, item.author)
    _first_response(item)
    if queue_was_empty:
        tell_moderators_queue_started()
    return new


def _already_reported(reporter_id: int, item_type: str, item_id: int) -> bool:
    return (
        db.session.scalar(
            select(Report.id).where(
                Report.reporter_id == reporter_id,
                Report.item_type == item_type,
                Report.item_id == item_id,
            )
        )
        is not None
    )


def _check_rate(user_id: int) -> None:

    limit = current_app.config.get("REPORT_RATE_LIMIT", "10 per hour")
    if not limits.hit(parse_limit(limit), "report", str(user_id)):
        raise RateLimited(f"You have sent many reports lately (the limit is {limit}).")


def _lock_member(user_id: int) -> None:
    # A no-op UPDATE takes the member's row lock (PostgreSQL) or the write lock
    # (SQLite) until commit: reports against one member are counted in turn.
    db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(limited_automatically=User.limited_automatically)
        .execution_options(synchronize_session=False)
    )


def _in_good_standing():
    now = utcnow()
    return and_(
        User.deleted_at.is_(None),
        User.email_verified_at.isnot(None),
        (User.suspended_until.is_(None)) | (User.suspended_until <= now),
        (User.limited_until.is_(None)) | (User.limited_until <= now),
    )


def _first_response(item: Item) -> None:
    """Hide at N good reporters, limit at M open reports: each exactly once."""
    config = current_app.config
    reporters = db.session.scalar(
        select(func.count(func.distinct(Report.reporter_id)))
        .join(User, User.id == Report.reporter_id)
        .where(
            Report.item_type == item.type,
            Report.item_id == item.id,
            Report.status == "open",
            _in_good_standing(),
        )
    )
    if reporters >= config["AUTO_HIDE_REPORTERS"] and hidden_row(item.type, item.id) is None:
        db.session.add(HiddenItem(item_type=item.type, item_id=item.id, user_id=item.author.id,
                                  automatic=True, created_at=utcnow()))  # fmt: skip
        db.session.flush()
        record(None, "hide", member=item.author, item_type=item.type, item_id=item.id,
               reason=f"reported by {reporters} members; hidden pending review")  # fmt: skip
        _push_hidden(item.type, item.id, hidden=True)
    open_reports = db.session.scalar(
        select(func.count(Report.id)).where(
            Report.reported_id == item.author.id, Report.status == "open"
        )
    )
    if open_reports >= config["AUTO_LIMIT_REPORTS"]:
        now = utcnow()
        limited = db.session.execute(
            update(User)
            .where(
                User.id == item.author.id,
                (User.limited_until.is_(None)) | (User.limited_until <= now),
            )
            .values(limited_until=FOREVER, limited_automatically=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        if limited:
            db.session.refresh(item.author)
            record(None, "limit", member=item.author,
                   reason=f"{open_reports} open reports; limited pending review")  # fmt: skip


# --- the queue ------------------------------------------------------------------------


@dataclass
class Case:
    key: tuple[int, str, int]  # reported member, item type, item id
    reports: list[Report]
    member: User
    hidden: bool = False
    history: dict = field(default_factory=dict)

    @property
    def first(self) -> Report:
        return self.reports[0]

    @property
    def item_label(self) -> str:
        return ITEM_TYPES[self.key[1]]


QUEUE_PAGE = 20  # cases on a page of the queue (each with its context and form)
QUEUE_PAGE_MAX = 500  # the deepest page (each page reads the open reports before it)


def queue(moderator: User, limit: int = QUEUE_PAGE, *, skip: int = 0) -> list[Case]:
    """Open cases, oldest first, each with its reports and the member's history:
    ``limit`` of them after the oldest ``skip``. A bounded number of queries
    whatever the number of cases."""
    require_moderator(moderator)
    keys = _oldest_open_cases(skip + limit)[skip:]
    if not keys:
        return []
    member_ids = {k.reported_id for k in keys}
    # By member (an index both databases use; a row-value IN of the cases made
    # SQLite scan every open report), then only the cases shown.
    shown = set(keys)
    reports = [
        row
        for row in db.session.scalars(
            select(Report)
            .where(Report.status == "open", Report.reported_id.in_(member_ids))
            .order_by(Report.id)
        )
        if (row.reported_id, row.item_type, row.item_id) in shown
    ]
    # Reporters and members in one query; each report's two links then read
    # them from the session without another (cheaper than joining users twice).
    people = member_ids | {row.reporter_id for row in reports if row.reporter_id is not None}
    loaded = db.session.scalars(select(User).where(User.id.in_(people))).all()
    for row in reports:
        row.reporter, row.reported  # noqa: B018  (read from the session, no query)
    del loaded  # each report holds its two now
    grouped: dict[tuple, list[Report]] = defaultdict(list)
    for row in reports:
        grouped[(row.reported_id, row.item_type, row.item_id)].append(row)
    hidden = {
        (h.item_type, h.item_id)
        for h in db.session.scalars(select(HiddenItem).where(HiddenItem.user_id.in_(member_ids)))
    }
    histories = member_histories(member_ids)
    cases = []
    for key in keys:
        group = grouped[(key.reported_id, key.item_type, key.item_id)]
        if not group:
            continue
        cases.append(
            Case(
                key=(key.reported_id, key.item_type, key.item_id),
                reports=group,
                member=group[0].reported,
                hidden=(key.item_type, key.item_id) in hidden,
                history=histories[key.reported_id],
            )
        )
    return cases


class CaseKey(NamedTuple):
    reported_id: int
    item_type: str
    item_id: int


def _oldest_open_cases(limit: int) -> list[CaseKey]:
    """The ``limit`` open cases whose first report is oldest, oldest first.

    Open reports are read in id order (ix_reports_open_id) until ``limit``
    cases have shown up: the first report of each case seen is its oldest,
    so these are the cases a GROUP BY ... ORDER BY min(id) would give,
    without grouping every open report on every load of the queue
    (bench/moderation.py: the grouping was the page's costliest query).
    """
    keys: dict[tuple, CaseKey] = {}
    after, batch = 0, limit * 4
    while len(keys) < limit:
        rows = db.session.execute(
            select(Report.id, Report.reported_id, Report.item_type, Report.item_id)
            .where(Report.status == "open", Report.id > after)
            .order_by(Report.id)
            .limit(batch)
        ).all()
        for row in rows:
            key = (row.reported_id, row.item_type, row.item_id)
            if key not in keys:
                keys[key] = CaseKey(*key)
                if len(keys) == limit:
                    break
        if len(rows) < batch:
            break
        after, batch = rows[-1].id, batch * 2
    return list(keys.values())


def closing_words_about(member_id: int) -> list[ClosureWord]:
    """The private sentences written when the member's matches ended, by them
    and by the other side (moderators only; see community.helping.closure)."""
    return words_about(member_id)


def member_histories(member_ids: set[int]) -> dict[int, dict]:
    """For each member: earlier reports, actions against them, blocks, last messages."""

    history = {mid: {"reports": 0, "actions": [], "blocked_by": 0, "messages": []}
               for mid in member_ids}  # fmt: skip
    ids = list(member_ids)
    for member_id, count in db.session.execute(
        select(Report.reported_id, func.count(Report.id))
        .where(Report.reported_id.in_(ids), Report.status != "open")
        .group_by(Report.reported_id)
    ):
        history[member_id]["reports"] = count
    for entry in db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.member_id.in_(ids))
        .order_by(AuditEntry.id.desc())
        .limit(20 * len(ids))
    ):
        if len(history[entry.member_id]["actions"]) < 10:
            history[entry.member_id]["actions"].append(entry)
    for member_id, count in db.session.execute(
        select(Block.blocked_id, func.count())
        .where(Block.blocked_id.in_(ids))
        .group_by(Block.blocked_id)
    ):
        history[member_id]["blocked_by"] = count
    ranked = (
        select(
            Message.sender_id,
            Message.body,
            Message.created_at,
            func.row_number()
            .over(partition_by=Message.sender_id, order_by=Message.id.desc())
            .label("n"),
        )
        .where(Message.sender_id.in_(ids))
        .subquery()
    )
    for sender_id, body, at, _ in db.session.execute(
        select(ranked).where(ranked.c.n <= 5).order_by(ranked.c.sender_id, ranked.c.n)
    ):
        history[sender_id]["messages"].append((body, at))
    return history


def access_case(moderator: User, report_id: int) -> list[Report]:
    require_moderator(moderator)
    first = db.session.get(Report, report_id)
    if first is None:
        raise NotFound()
    return list(
        db.session.scalars(
            select(Report).where(
                Report.reported_id == first.reported_id,
                Report.item_type == first.item_type,
                Report.item_id == first.item_id,
            )
        )
    )


# --- acting on a case ------------------------------------------------------------------


def act(
    moderator: User,
    report_id: int,
    action: str,
    *,
    reason: str = "",
    days: int | None = None,
) -> str:
    """Do ``action`` on the case of ``report_id``: one of ACTIONS. Flushes.

    Raises NotAllowed (not a moderator), Invalid (action, reason, days),
    Conflict (another moderator handled the case first). Returns the line
    shown to the moderator.
    """
    require_moderator(moderator)
    if action not in ACTIONS:
        raise Invalid("Choose one of the actions.")
    reason = " ".join((reason or "").split())
    if len(reason) > WORDS_MAX:
        raise Invalid(f"Use at most {WORDS_MAX:,} characters.", "reason")
    if action in ("dismiss", "warn") and not reason:
        raise Invalid(
            "Write the reason (it is kept in the log)."
            if action == "dismiss"
            else "Write the words the member will read.",
            "reason",
        )
    if action in ("limit", "suspend") and days is not None and not 1 <= days <= 3650:
        raise Invalid("Choose 1 to 3,650 days, or leave it empty for no end.", "days")
    if action == "limit" and days is None:
        raise Invalid("Choose for how many days.", "days")
    first = db.session.get(Report, report_id)
    if first is None:
        raise NotFound()
    member = db.session.get(User, first.reported_id)
    key = (first.reported_id, first.item_type, first.item_id)
    now = utcnow()
    # The one conditional UPDATE that decides which of two moderators wins.
    taken = db.session.execute(
        update(Report)
        .where(
            Report.reported_id == key[0],
            Report.item_type == key[1],
            Report.item_id == key[2],
            Report.status == "open",
        )
        .values(
            status="dismissed" if action == "dismiss" else "actioned",
            resolved_at=now,
            resolved_by_id=moderator.id,
            outcome=action,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise Conflict("Another moderator has already handled this report.")
    reporters = list(
        db.session.scalars(
            select(Report.reporter_id).where(
                Report.reported_id == key[0],
                Report.item_type == key[1],
                Report.item_id == key[2],
                Report.resolved_at == now,
                Report.reporter_id.isnot(None),
            )
        )
    )
    item = {"item_type": key[1], "item_id": key[2]}
    if action == "dismiss":
        record(moderator, "dismiss", member=member, reason=reason, **item)
        _undo_automatic(member, key[1], key[2])
        said = "Dismissed."
    elif action == "hide":
        hide_item(moderator, member, key[1], key[2], reason)
        said = "Hidden."
    elif action == "warn":
        record(moderator, "warn", member=member, reason=reason, **item)
        _tell_member(member, "moderation_warning", {"words": reason})
        said = f"{member.display_name} is warned."
    elif action == "limit":
        limit_member(moderator, member, days, reason, **item)
        said = f"{member.display_name} is limited for {days} days."
    else:
        # What got them suspended goes too (and reads "removed by a moderator").
        if key[1] != "profile":
            hide_item(moderator, member, key[1], key[2], reason)
        suspend_member(moderator, member, days, reason, **item)
        said = f"{member.display_name} is suspended" + (f" for {days} days." if days else ".")
    _tell_reporters(reporters, key[1], acted=action != "dismiss")
    return said


def hide_item(moderator: User, member: User, item_type: str, item_id: int, reason: str) -> None:
    row = hidden_row(item_type, item_id)
    if row is None:
        db.session.add(HiddenItem(item_type=item_type, item_id=item_id, user_id=member.id,
                                  created_at=utcnow()))  # fmt: skip
    else:
        row.automatic, row.held = False, False
    db.session.flush()
    record(moderator, "hide", member=member, item_type=item_type, item_id=item_id, reason=reason)
    _push_hidden(item_type, item_id, hidden=True)


def limit_member(moderator: User, member: User, days: int, reason: str, **item) -> None:
    member.limited_until = utcnow() + timedelta(days=days)
    member.limited_automatically = False
    record(moderator, "limit", member=member, reason=reason, days=days, **item)
    _tell_member(member, "moderation_limited", {"until": member.limited_until.strftime("%d %B %Y"),
                                                "words": reason or "—"})  # fmt: skip


def suspend_member(moderator: User, member: User, days: int | None, reason: str, **item) -> None:
    """Suspend: sign-in refused, every session ended (sockets closed after
    commit), their helping ended kindly for the others; the email always goes."""

    if member.is_admin:
        raise NotAllowed("An admin cannot be suspended here.")
    member.suspended_until = utcnow() + timedelta(days=days) if days else FOREVER
    record(moderator, "suspend", member=member, reason=reason, days=days, **item)
    end_all_login_sessions(member)
    withdraw_member(member, reason="suspended")
    until = (
        "until further notice"
        if not days
        else "until " + member.suspended_until.strftime("%d %B %Y")
    )
    _tell_member(member, "moderation_suspended", {"until": until, "words": reason or "—"},
                 always_email=True)  # fmt: skip


def reinstate(moderator: User, member: User, reason: str, *, appeal: Appeal | None = None) -> None:
    """Lift a limit and a suspension, show the member's hidden items again."""
    require_moderator(moderator)
    member.limited_until, member.limited_automatically = None, False
    member.suspended_until = None
    if appeal is not None and appeal.entry.action == "hide" and appeal.entry.item_type:
        row = hidden_row(appeal.entry.item_type, appeal.entry.item_id)
        if row is not None:
            db.session.delete(row)
            _push_hidden(appeal.entry.item_type, appeal.entry.item_id, hidden=False)
    db.session.flush()
    record(moderator, "reinstate", member=member, reason=reason,
           appeal_id=appeal.id if appeal is not None else None)  # fmt: skip
    _tell_member(member, "moderation_reinstated", {})


def _undo_automatic(member: User, item_type: str, item_id: int) -> None:
    row = hidden_row(item_type, item_id)
    if row is not None and row.automatic:
        db.session.delete(row)
        db.session.flush()
        record(None, "unhide", member=member, item_type=item_type, item_id=item_id,
               reason="the report was dismissed")  # fmt: skip
        _push_hidden(item_type, item_id, hidden=False)
    still_open = db.session.scalar(
        select(func.count(Report.id)).where(
            Report.reported_id == member.id, Report.status == "open"
        )
    )
    if member.limited_automatically and not still_open:
        member.limited_until, member.limited_automatically = None, False
        record(None, "lift_limit", member=member, reason="the reports were dismissed")


# --- appeals ---------------------------------------------------------------------------


def appealable(user: User) -> list[AuditEntry]:
    """Actions against ``user`` they have not yet asked to have reviewed."""
    appealed = select(Appeal.audit_entry_id).where(Appeal.user_id == user.id)
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.member_id == user.id,
                AuditEntry.action.in_(APPEALABLE),
                AuditEntry.id.not_in(appealed),
            )
            .order_by(AuditEntry.id.desc())
            .limit(20)
        )
    )


def ask_for_review(user: User, entry_id: int, words: str) -> Appeal:
    """The member answers an action against them, once. Flushes."""
    entry = db.session.get(AuditEntry, entry_id)
    if entry is None or entry.member_id != user.id or entry.action not in APPEALABLE:
        raise NotFound()
    words = (words or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not words:
        raise Invalid("Tell the moderators in a few words why they should look again.", "words")
    if len(words) > WORDS_MAX:
        raise Invalid(f"Use at most {WORDS_MAX:,} characters.", "words")
    appeal = Appeal(user_id=user.id, audit_entry_id=entry.id, words=words, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(appeal)
            db.session.flush()
    except IntegrityError:
        raise Conflict("You have already asked for a review of this.") from None
    record(user, "appeal", member=user, item_type=entry.item_type, item_id=entry.item_id,
           reason=words, entry_id=entry.id)  # fmt: skip
    queue_was_empty = open_case_count() == 0 and open_appeal_count() == 1
    if queue_was_empty:
        tell_moderators_queue_started()
    return appeal


def open_appeal_count() -> int:
    return db.session.scalar(select(func.count(Appeal.id)).where(Appeal.status == "open"))


def open_appeals(moderator: User) -> list[Appeal]:
    require_moderator(moderator)
    return list(
        db.session.scalars(
            select(Appeal)
            .where(Appeal.status == "open")
            .options(joinedload(Appeal.user), joinedload(Appeal.entry))
            .order_by(Appeal.id)
        )
    )


def decide_appeal(moderator: User, appeal_id: int, decision: str, reason: str) -> str:
    """A different moderator upholds the action or reinstates. Flushes."""
    require_moderator(moderator)
    if decision not in ("uphold", "reinstate"):
        raise Invalid("Choose to uphold or to reinstate.")
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound()
    if appeal.entry.actor_id == moderator.id:
        raise NotAllowed("A different moderator decides an appeal of your own action.")
    taken = db.session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status == "open")
        .values(status=decision, decided_at=utcnow(), decided_by_id=moderator.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise Conflict("Another moderator has already decided this appeal.")
    db.session.refresh(appeal)
    member = appeal.user
    reason = " ".join((reason or "").split())[:WORDS_MAX]
    if decision == "reinstate":
        reinstate(moderator, member, reason, appeal=appeal)
        return f"{member.display_name} is reinstated."
    record(moderator, "uphold", member=member, reason=reason, appeal_id=appeal.id)
    _tell_member(member, "moderation_upheld", {})
    return "The action stands."


# --- what pages show ---------------------------------------------------------------------


# --- telling people -------------------------------------------------------------------------


def _tell_member(member: User, kind: str, data: dict, *, always_email: bool = False) -> None:

    notification = notify(member, kind, data)
    if always_email and notification.delivery != IMMEDIATE:
        found = KINDS[kind]
        queue_email(
            found.email_template,
            to_address=member.email,
            user_id=member.id,
            unsubscribe_kind=kind,
            name=member.display_name,
            message=render_message(notification),
            link=external_url(found.endpoint, **link_args(notification)),
            kind_label=found.label,
        )


def _tell_reporters(reporter_ids: list[int], item_type: str, *, acted: bool) -> None:

    label = ITEM_TYPES[item_type]
    for reporter in db.session.scalars(select(User).where(User.id.in_(reporter_ids))):
        notify(reporter, "report_outcome", {
            "line": (f"Thank you: a moderator acted on your report of a {label}." if acted
                     else f"A moderator looked at your report of a {label} and found it "
                          "within the community's guidelines."),
        })  # fmt: skip


def send_queue_digest() -> int:
    """Daily, while the queue is not empty: each moderator hears how many cases
    wait. Returns how many were told (a job; commits)."""
    cases, appeals = open_case_count(), open_appeal_count()
    if not cases and not appeals:
        return 0

    told = 0
    for moderator in member_moderators():
        notify(moderator, "moderation_digest", {"cases": cases, "appeals": appeals})
        told += 1
    db.session.commit()
    return told


def _push_hidden(item_type: str, item_id: int, *, hidden: bool) -> None:
    """Open chat pages replace (or restore) a hidden message at once."""
    if item_type != "message":
        return
    message = db.session.get(Message, item_id)
    if message is None:
        return
    conversation_id = message.conversation_id

    def tell() -> None:
        shown = db.session.get(Message, item_id)
        if shown is None:
            return
        members = db.session.scalars(
            select(ConversationMember.user_id).where(
                ConversationMember.conversation_id == conversation_id
            )
        ).all()
        push.tell_hidden(message_payload(shown), list(members))

    after_commit(tell)
