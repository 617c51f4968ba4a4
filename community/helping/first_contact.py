"""First contact after a match: has each side written, and a kind nudge if not.

Nobody clicks anything to say they made contact: the chat records when each
member first wrote in the match's conversation
(``ConversationMember.first_wrote_at``), and this module reads it.

The reminders, each sent at most once per match:

* the helper's, ``FIRST_CONTACT_REMINDER_HOURS`` after the match is made;
* the requester's, ``FIRST_CONTACT_REQUESTER_AFTER_HOURS`` after that;

and only while *nobody* has written. Once one of them has, the other hears of
it through the chat's own unread-message email, so a second nudge would only
repeat it. Each carries the suggested first message of the introduction and
a link straight into the chat, and goes through the notification
preferences (kind ``first_contact``: at once, in the daily digest, or on the
site only).

The due times live on the match (``helper_reminder_due_at``,
``requester_reminder_due_at``), each with an index, so the periodic job
(:func:`send_first_contact_reminders`) reads only what is due, and hands the
sending to a job of its own (:func:`send_reminders`). A reminder is claimed
by a conditional UPDATE that empties its due time, so a job run twice (or by
two schedulers) sends it once; a due time whose match has ended or whose
members have written is emptied without a word. Later timers of a
match (check-ins) follow the same shape: a due column, its index, a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from community import jobs
from community.accounts.models import User
from community.chat.service import conversation_ids_of_matches, first_writes_of_matches
from community.db import db, utcnow
from community.helping.introductions import suggested_first_message
from community.helping.models import Match, MatchStatus
from community.notifications.service import notify
from community.profiles.models import Profile
from community.urls import external_url

# How many due reminders one run of the job takes per side; the next run
# (hourly) takes the rest.
BATCH = 500


def schedule_reminders(match: Match) -> None:
    """Set the due times of a new match's two reminders, and of its first
    check-in (community.helping.check_ins). Flushes."""
    config = current_app.config
    match.check_in_due_at = match.created_at + timedelta(days=config["CHECK_IN_AFTER_DAYS"])
    helper_due = match.created_at + timedelta(hours=config["FIRST_CONTACT_REMINDER_HOURS"])
    match.helper_reminder_due_at = helper_due
    match.requester_reminder_due_at = helper_due + timedelta(
        hours=config["FIRST_CONTACT_REQUESTER_AFTER_HOURS"]
    )
    db.session.flush()


@dataclass(frozen=True)
class FirstContact:
    """First contact in a match as one member sees it."""

    i_wrote: bool
    other_wrote: bool
    other_name: str

    @property
    def made(self) -> bool:
        """Both have written to each other."""
        return self.i_wrote and self.other_wrote

    @property
    def words(self) -> str:
        other = self.other_name
        if self.made:
            return f"You and {other} have both written: first contact made."
        if self.other_wrote:
            return f"{other} has written; you haven't answered yet."
        if self.i_wrote:
            return f"You have written; {other} hasn't answered yet."
        return "Neither of you has written yet: here is a way to start."


def first_contact_of(match: Match, viewer_id: int) -> FirstContact:
    """Who has written in ``match``'s chat, seen by ``viewer_id`` (one of its two)."""
    writes = first_writes_of_matches([match.id]).get(match.id, {})
    other = match.requester if viewer_id == match.helper_id else match.helper
    return FirstContact(
        i_wrote=writes.get(viewer_id) is not None,
        other_wrote=writes.get(other.id) is not None,
        other_name=other.display_name,
    )


def _claim(match_id: int, column, now: datetime) -> bool:
    """Take one due reminder: empty its due time, if it is still set and due."""
    return match_id in _claim_all([match_id], column, now)


def _claim_all(match_ids: list[int], column, now: datetime) -> set[int]:
    """Take the due reminders of ``match_ids`` at once: empty the due times that
    are still set and due, in one UPDATE; the ids of those taken."""
    if not match_ids:
        return set()
    return set(
        db.session.scalars(
            update(Match)
            .where(Match.id.in_(match_ids), column.is_not(None), column <= now)
            .values({column.key: None})
            .returning(Match.id)
            .execution_options(synchronize_session=False)
        )
    )


def _clear(match_ids: list[int]) -> None:
    """No reminder is needed any more for these matches (someone wrote, or it ended)."""
    if not match_ids:
        return
    db.session.execute(
        update(Match)
        .where(Match.id.in_(match_ids))
        .values(helper_reminder_due_at=None, requester_reminder_due_at=None)
        .execution_options(synchronize_session=False)
    )


def _remind(match: Match, conversation_id: int, *, helper: bool) -> None:
    me, other = (match.helper, match.requester) if helper else (match.requester, match.helper)
    first_message = suggested_first_message(me, other, match.request, i_am_helper=helper)
    notify(
        me,
        "first_contact",
        {
            "match_id": match.id,
            "conversation_id": conversation_id,
            "name": other.display_name,
            "title": match.request.title,
            "first_message": first_message,
        },
        email_context={
            "other_name": other.display_name,
            "request_title": match.request.title,
            "first_message": first_message,
            "i_am_helper": helper,
            "chat_url": external_url("chat.show", conversation_id=conversation_id),
            "match_url": external_url("helping.show_match", match_id=match.id),
        },
    )


def _due_column(helper: bool):
    return Match.helper_reminder_due_at if helper else Match.requester_reminder_due_at


@jobs.commits
def send_first_contact_reminders() -> int:
    """Find the first-contact reminders that are due, the helpers' and the
    requesters', and hand each batch to a job (:func:`send_reminders`) that
    claims and sends them. A periodic job; commits. Returns how many were
    handed out.

    Its run is a few indexed statements whatever the number of matches: the
    due times (by their indexes), who has written (one query); due times that
    no longer need a reminder (someone wrote, the match ended) are emptied
    here without a word. The sending, one notification and maybe an email
    each, happens in the job, after this commits: on a worker with Redis, so
    the scheduler is never held by it. A batch whose job is lost (Redis down
    at the commit) keeps its due times and is found again by the next run.
    """
    now = utcnow()
    handed = 0
    for helper in (True, False):
        column = _due_column(helper)
        due = db.session.execute(
            select(Match.id, Match.status).where(column <= now).order_by(column).limit(BATCH)
        ).all()
        writes = first_writes_of_matches([match_id for match_id, _ in due])
        needed = [match_id for match_id, status in due if _needs_reminder(status, writes, match_id)]
        _clear(sorted({match_id for match_id, _ in due} - set(needed)))
        if needed:
            jobs.enqueue(send_reminders, needed, helper)
            handed += len(needed)
    return handed


def _needs_reminder(status: str, writes: dict, match_id: int) -> bool:
    written = writes.get(match_id)
    return (
        status == MatchStatus.ACTIVE
        and written is not None  # a chat to send them to (always, in practice)
        and not any(at is not None for at in written.values())
    )


@jobs.commits
def send_reminders(match_ids: list[int], helper: bool) -> int:
    """Send the due reminders of ``match_ids`` (the helpers' or the
    requesters'): a job queued by :func:`send_first_contact_reminders`;
    commits. Returns how many were sent.

    Safe to run twice, and alongside another run: each reminder is claimed
    (its due time emptied, in one UPDATE for the batch) before it is sent, and
    the chat is read again, so one somebody wrote in meanwhile is only cleared.
    """
    column = _due_column(helper)
    claimed = _claim_all(list(match_ids), column, utcnow())  # what another run took is left out
    if not claimed:
        return 0
    due = db.session.scalars(
        select(Match)
        .where(Match.id.in_(claimed))
        .order_by(Match.id)
        .options(
            joinedload(Match.request),
            # What the suggested first message reads of each member.
            joinedload(Match.requester).joinedload(User.profile).selectinload(Profile.genres),
            joinedload(Match.helper).joinedload(User.profile).selectinload(Profile.genres),
        )
    ).all()
    writes = first_writes_of_matches(claimed)
    conversations = conversation_ids_of_matches(claimed)
    sent, unneeded = 0, []
    for match in due:
        if not _needs_reminder(match.status, writes, match.id):
            unneeded.append(match.id)
            continue
        _remind(match, conversations[match.id], helper=helper)
        sent += 1
    _clear(unneeded)
    return sent
