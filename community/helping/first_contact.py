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
(:func:`send_first_contact_reminders`) reads only what is due. A reminder is
claimed by one conditional UPDATE that empties its due time, so a job run
twice (or by two schedulers) sends it once; a due time whose match has ended
or whose members have written is emptied without a word. Later timers of a
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
    """Set the due times of a new match's two reminders. Flushes."""
    config = current_app.config
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


@jobs.commits
def send_first_contact_reminders() -> int:
    """Send the first-contact reminders that are due: the helpers' first, then
    the requesters'. A periodic job; commits. Returns how many were sent.

    Safe to run twice: each reminder is claimed before it is sent (see the
    module's docstring). A constant number of statements per batch besides
    the notifications themselves: one read, the chats' writes and ids, one
    claiming UPDATE, one clearing UPDATE.
    """
    now = utcnow()
    sent = 0
    for column, helper in (
        (Match.helper_reminder_due_at, True),
        (Match.requester_reminder_due_at, False),
    ):
        due = db.session.scalars(
            select(Match)
            .where(column <= now)
            .order_by(column)
            .limit(BATCH)
            .options(
                joinedload(Match.request),
                # What the suggested first message reads of each member.
                joinedload(Match.requester).joinedload(User.profile).selectinload(Profile.genres),
                joinedload(Match.helper).joinedload(User.profile).selectinload(Profile.genres),
            )
        ).all()
        ids = [match.id for match in due]
        writes = first_writes_of_matches(ids)
        conversations = conversation_ids_of_matches(ids)
        claimed = _claim_all(ids, column, now)  # what another run took is left out
        unneeded = []
        for match in due:
            if match.id not in claimed:
                continue
            written = writes.get(match.id)
            if (
                match.status != MatchStatus.ACTIVE
                or written is None  # no chat to send them to (never, in practice)
                or any(at is not None for at in written.values())
            ):
                unneeded.append(match.id)
                continue
            _remind(match, conversations[match.id], helper=helper)
            sent += 1
        _clear(unneeded)
    return sent
