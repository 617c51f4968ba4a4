"""What the lower areas need to know from moderation, and the little they
write to it: whether an item is hidden (and the words shown instead), the
append-only audit log, and holding a new member's item for review.

Chat, helping, profiles, admin and the page helpers sit below
:mod:`community.moderation.service` (which acts on them), so they read and
write these facts here, on the moderation tables only. The rules:

- Every action, by a moderator, an admin or the system, adds one
  :class:`AuditEntry` through :func:`record`; no code updates or deletes one.
- A hidden item shows "removed by a moderator" (or "held for a moderator's
  review" while the system holds it) instead of its text, everywhere.
- Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User
from community.db import db, utcnow
from community.moderation.models import AuditEntry, HiddenItem, Report
from community.notifications.service import notify

REMOVED = "removed by a moderator"
HELD = "held for a moderator's review"


# --- the audit log ----------------------------------------------------------------


def record(
    actor: User | None,
    action: str,
    *,
    member: User | None = None,
    item_type: str = "",
    item_id: int | None = None,
    reason: str = "",
    **details,
) -> AuditEntry:
    """Append one row to the audit log (``actor`` None: the system). Flushes."""
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.display_name if actor is not None else "the system",
        action=action,
        member_id=member.id if member is not None else None,
        member_name=member.display_name if member is not None else "",
        item_type=item_type,
        item_id=item_id,
        reason=reason or "",
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# --- what pages show ---------------------------------------------------------------------


def hidden_ids(item_type: str) -> dict[int, bool]:
    """Hidden items of a type: id -> held (True) or removed. One query per type
    per request (hidden items are few), cached for the request."""
    cache = g.setdefault("hidden_items", {}) if has_request_context() else {}
    if item_type not in cache:
        cache[item_type] = dict(
            db.session.execute(
                select(HiddenItem.item_id, HiddenItem.held).where(HiddenItem.item_type == item_type)
            ).all()
        )
    return cache[item_type]


def removed_text(item_type: str, item_id: int) -> str | None:
    """What to show instead of the item, or None when it shows."""
    held = hidden_ids(item_type).get(item_id)
    if held is None:
        return None
    return HELD if held else REMOVED


def hidden_row(item_type: str, item_id: int) -> HiddenItem | None:
    return db.session.get(HiddenItem, (item_type, item_id))


# --- cases and holding ----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    type: str
    id: int
    author: User
    text: str
    context: dict = field(default_factory=dict)


def file_report(reporter: User | None, item: Item, reason: str, words: str) -> Report | None:
    """Add one open report of ``item`` (None when this reporter has one already)."""
    context = dict(item.context)
    context.setdefault("text", item.text)
    new = Report(
        reporter_id=reporter.id if reporter is not None else None,
        reported_id=item.author.id,
        item_type=item.type,
        item_id=item.id,
        reason=reason,
        words=words,
        context=context,
        status="open",
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(new)
            db.session.flush()
    except IntegrityError:
        return None
    return new


def open_case_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(
            select(Report.reported_id, Report.item_type, Report.item_id)
            .where(Report.status == "open")
            .group_by(Report.reported_id, Report.item_type, Report.item_id)
            .subquery()
        )
    )


def member_moderators() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                (User.is_moderator.is_(True)) | (User.is_admin.is_(True)),
                User.deleted_at.is_(None),
            )
        )
    )


def tell_moderators_queue_started() -> None:
    for moderator in member_moderators():
        notify(moderator, "moderation_queue", {})


def hold_for_review(author: User, item_type: str, item_id: int, text: str) -> None:
    """Hold a new member's item (a link they may not send yet) for a moderator:
    hidden as "held" until a moderator dismisses the case. Flushes."""
    item = Item(item_type, item_id, author, text, {"held": True})
    queue_was_empty = open_case_count() == 0
    file_report(None, item, "spam", "A new member's link, held for review.")
    db.session.add(HiddenItem(item_type=item_type, item_id=item_id, user_id=author.id,
                              automatic=True, held=True, created_at=utcnow()))  # fmt: skip
    record(None, "hold", member=author, item_type=item_type, item_id=item_id,
           reason="a link from a new member")  # fmt: skip
    if queue_was_empty:
        tell_moderators_queue_started()
