"""What's waiting for a member: the things they owe someone, in one list.

Each is something another member is waiting on, and each stops waiting
the moment the member acts (there is nothing to dismiss):

* **invitations to answer**: a requester invited them to help, and the
  request is still open;
* **offers to answer**: someone offered to help with their open request;
  accept or decline;
* **first messages to write**: an active match in whose chat they have not
  written yet (whether or not the other has);
* **thanks to confirm**: someone says they helped them outside a match;
* **check-ins to answer**: "how is it going?" went out about one of their
  active matches, and neither of them has answered nor written since
  (community.helping.check_ins);
* **helpers to thank**: their helper said "I finished my part"; mark the
  help received;
* **closing words to write**: one of their matches ended lately and they
  have not said, privately, how it went (community.helping.closure).

Blocked pairs are left out, as everywhere. The count shows in the navigation
on every page, so it is one query (:func:`waiting_count`), each part an
indexed lookup by the member's id; the page reads the lists
(:func:`waiting_for`) in a bounded number of queries whatever their length.

This area sits above helping, chat and kindness and only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import joinedload

from community.blocks import blocked_with
from community.chat.models import Conversation, ConversationMember
from community.chat.service import first_writes_of_matches
from community.db import db
from community.helping.closure import unwritten
from community.helping.models import (
    Answer,
    AnswerKind,
    AnswerStatus,
    HelpRequest,
    Match,
    MatchStatus,
    RequestStatus,
)
from community.kindness.models import Thanks, ThanksStatus


def _invitations(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Answer.volunteer_id == user_id,
        Answer.kind == AnswerKind.INVITATION,
        Answer.status == AnswerStatus.PENDING,
        HelpRequest.status == RequestStatus.OPEN,
        ~blocked_with(user_id, HelpRequest.requester_id),
    )


def _offers(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        HelpRequest.requester_id == user_id,
        HelpRequest.status == RequestStatus.OPEN,
        Answer.kind == AnswerKind.OFFER,
        Answer.status == AnswerStatus.PENDING,
        ~blocked_with(user_id, Answer.volunteer_id),
    )


def _unwritten_matches(user_id: int):
    """Active matches of the member whose chat they have not written in yet."""
    return (
        select(Match)
        .join(Conversation, Conversation.match_id == Match.id)
        .join(
            ConversationMember,
            and_(
                ConversationMember.conversation_id == Conversation.id,
                ConversationMember.user_id == user_id,
            ),
        )
        .where(
            Match.status == MatchStatus.ACTIVE,
            ConversationMember.first_wrote_at.is_(None),
        )
    )


def _thanks(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Thanks.helper_id == user_id,
        Thanks.status == ThanksStatus.PENDING,
        ~blocked_with(user_id, Thanks.author_id),
    )


def _check_ins(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        (Match.requester_id == user_id) | (Match.helper_id == user_id),
        Match.status == MatchStatus.ACTIVE,
        Match.check_in_open_at.is_not(None),
        ~blocked_with(Match.requester_id, Match.helper_id),
    )


def _to_thank(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Match.requester_id == user_id,
        Match.status == MatchStatus.ACTIVE,
        Match.helper_done_at.is_not(None),
        ~blocked_with(user_id, Match.helper_id),
    )


def _closures(user_id: int) -> tuple[ColumnElement[bool], ...]:
    return (*unwritten(user_id), ~blocked_with(Match.requester_id, Match.helper_id))


def waiting_count(user_id: int) -> int:
    """How many things wait for the member (the navigation's badge). One query."""

    def answers(conditions) -> ColumnElement[int]:
        return (
            select(func.count(Answer.id))
            .join(HelpRequest, HelpRequest.id == Answer.request_id)
            .where(*conditions)
            .scalar_subquery()
        )

    first_messages = (
        _unwritten_matches(user_id)
        .with_only_columns(func.count(Match.id))
        .order_by(None)
        .scalar_subquery()
    )
    thanks = select(func.count(Thanks.id)).where(*_thanks(user_id)).scalar_subquery()
    total = answers(_invitations(user_id)) + answers(_offers(user_id)) + first_messages + thanks
    for conditions in (_check_ins(user_id), _to_thank(user_id), _closures(user_id)):
        total = total + select(func.count(Match.id)).where(*conditions).scalar_subquery()
    return db.session.scalar(select(total)) or 0


@dataclass(frozen=True)
class FirstMessage:
    """A match whose chat the member has not written in yet."""

    match: Match
    conversation_id: int
    other: object  # the other member of the match (a User)
    other_wrote: bool


@dataclass(frozen=True)
class Waiting:
    invitations: list[Answer]
    offers: list[Answer]
    first_messages: list[FirstMessage]
    thanks: list[Thanks]
    check_ins: list[Match] = field(default_factory=list)
    to_thank: list[Match] = field(default_factory=list)
    closures: list[Match] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.invitations)
            + len(self.offers)
            + len(self.first_messages)
            + len(self.thanks)
            + len(self.check_ins)
            + len(self.to_thank)
            + len(self.closures)
        )


def waiting_for(user_id: int) -> Waiting:
    """Everything waiting for the member, oldest first within each kind (the
    one waiting longest comes first). Eight queries, whatever the lengths."""
    invitations = db.session.scalars(
        select(Answer)
        .join(HelpRequest, HelpRequest.id == Answer.request_id)
        .where(*_invitations(user_id))
        .order_by(Answer.created_at, Answer.id)
        .options(joinedload(Answer.request).joinedload(HelpRequest.requester))
    ).all()
    offers = db.session.scalars(
        select(Answer)
        .join(HelpRequest, HelpRequest.id == Answer.request_id)
        .where(*_offers(user_id))
        .order_by(Answer.created_at, Answer.id)
        .options(joinedload(Answer.request), joinedload(Answer.volunteer))
    ).all()
    rows = db.session.execute(
        _unwritten_matches(user_id)
        .add_columns(Conversation.id)
        .order_by(Match.created_at, Match.id)
        .options(joinedload(Match.request), joinedload(Match.requester), joinedload(Match.helper))
    ).all()
    writes = first_writes_of_matches([match.id for match, _ in rows])
    first_messages = [
        FirstMessage(
            match=match,
            conversation_id=conversation_id,
            other=match.helper if match.requester_id == user_id else match.requester,
            other_wrote=any(
                at is not None
                for member_id, at in writes.get(match.id, {}).items()
                if member_id != user_id
            ),
        )
        for match, conversation_id in rows
    ]
    thanks = db.session.scalars(
        select(Thanks)
        .where(*_thanks(user_id))
        .order_by(Thanks.created_at, Thanks.id)
        .options(joinedload(Thanks.author))
    ).all()

    def matches_where(conditions, order) -> list[Match]:
        return list(
            db.session.scalars(
                select(Match)
                .where(*conditions)
                .order_by(order, Match.id)
                .options(
                    joinedload(Match.request), joinedload(Match.requester), joinedload(Match.helper)
                )
            )
        )

    return Waiting(
        list(invitations),
        list(offers),
        first_messages,
        list(thanks),
        check_ins=matches_where(_check_ins(user_id), Match.check_in_open_at),
        to_thank=matches_where(_to_thank(user_id), Match.helper_done_at),
        closures=matches_where(_closures(user_id), Match.ended_at),
    )
