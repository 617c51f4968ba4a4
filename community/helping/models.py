"""Tables of the helping area: requests, volunteer offers, answers, matches."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow
from community.profiles.models import Genre, Skill


class RequestStatus(enum.StrEnum):
    OPEN = "open"  # taking answers; helper places left
    MATCHED = "matched"  # every helper place filled
    COMPLETED = "completed"  # the requester says the help was given
    CLOSED = "closed"  # the requester closed it
    EXPIRED = "expired"  # open with no activity for too long


class HelpFormat(enum.StrEnum):
    WRITTEN = "written"
    LIVE_CHAT = "live_chat"
    CALL = "call"

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self]

    @property
    def is_live(self) -> bool:
        return self is not HelpFormat.WRITTEN


FORMAT_LABELS = {
    HelpFormat.WRITTEN: "Written feedback",
    HelpFormat.LIVE_CHAT: "Live chat",
    HelpFormat.CALL: "A call",
}


class AnswerStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the other side
    ACCEPTED = "accepted"  # a match was made from it
    DECLINED = "declined"  # the requester (or the invited volunteer) said no
    WITHDRAWN = "withdrawn"  # the volunteer took it back


class AnswerKind(enum.StrEnum):
    OFFER = "offer"  # the volunteer said "I can help"
    INVITATION = "invitation"  # the requester asked a suggested volunteer


class AskOutcome(enum.StrEnum):
    ASKED = "asked"  # told, no word back yet
    NOT_FOR_ME = "not_for_me"  # the volunteer's one-click "not for me"
    PAUSED = "paused"  # the volunteer paused their offer from the ask


class MatchStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


request_skills = Table(
    "request_skills",
    db.metadata,
    Column(
        "request_id", Integer, ForeignKey("help_requests.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("skill_id", Integer, ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_request_skills_skill_request", "skill_id", "request_id"),
)

offer_genres = Table(
    "offer_genres",
    db.metadata,
    Column(
        "user_id",
        Integer,
        ForeignKey("volunteer_offers.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("genre_id", Integer, ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True),
    # Who helps with a genre (the matching engine's genre pool, a rare genre's
    # volunteers first); the primary key answers the other way round.
    Index("ix_offer_genres_genre_user", "genre_id", "user_id"),
)


class HelpRequest(db.Model):
    """A member's request for help. See community.helping.requests for its lifecycle."""

    __tablename__ = "help_requests"
    __table_args__ = (
        CheckConstraint("helpers_wanted BETWEEN 1 AND 5", name="helpers_wanted_range"),
        CheckConstraint("places_taken >= 0 AND places_taken <= helpers_wanted", name="places"),
        Index("ix_help_requests_status_created", "status", "created_at"),
        Index("ix_help_requests_status_activity", "status", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    details: Mapped[str] = mapped_column(Text)
    genre_id: Mapped[int | None] = mapped_column(ForeignKey("genres.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(20), default=HelpFormat.WRITTEN.value)
    effort: Mapped[str] = mapped_column(String(100), default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    helpers_wanted: Mapped[int] = mapped_column(default=1)
    # Filled places: changed only by one conditional UPDATE, so that two
    # acceptances racing for the last place cannot both win.
    places_taken: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Asks (community.helping.asks): the last round of volunteers told, and
    # when it went out; a round is claimed by a conditional UPDATE of these.
    asks_round: Mapped[int] = mapped_column(default=0)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requester: Mapped[User] = relationship()  # noqa: F821
    genre: Mapped[Genre | None] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=request_skills, order_by=Skill.position)
    answers: Mapped[list[Answer]] = relationship(
        back_populates="request", order_by="Answer.created_at", cascade="all, delete-orphan"
    )

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS[HelpFormat(self.format)]

    @property
    def places_left(self) -> int:
        return self.helpers_wanted - self.places_taken

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.OPEN


class VolunteerOffer(db.Model):
    """A member's standing offer to help. One per member.

    ``capacity_month``/``capacity_used`` count the matches taken this month;
    like ``places_taken`` they change only through a conditional UPDATE.
    ``rank_score`` caches the request-independent part of the matching score
    (see community.helping.matching) so that suggestions read the best
    volunteers of a skill from an index instead of scoring everyone.
    """

    __tablename__ = "volunteer_offers"
    __table_args__ = (CheckConstraint("monthly_capacity BETWEEN 1 AND 20", name="capacity_range"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    monthly_capacity: Mapped[int] = mapped_column(default=2)
    note: Mapped[str] = mapped_column(Text, default="")
    on_break: Mapped[bool] = mapped_column(default=False)
    # A break taken "until" a day (from an ask's "pause me" link) ends then.
    break_until: Mapped[date | None] = mapped_column(Date)
    # How many asks a week the volunteer takes; None: the site's ASKS_PER_WEEK.
    asks_per_week: Mapped[int | None] = mapped_column()
    capacity_month: Mapped[str] = mapped_column(String(7), default="")
    capacity_used: Mapped[int] = mapped_column(default=0)
    # Matching signals, kept up to date by community.helping.matching.
    answers_given: Mapped[int] = mapped_column(default=0)
    avg_response_hours: Mapped[float | None] = mapped_column(Float)
    recent_matches: Mapped[int] = mapped_column(default=0)
    helped_count: Mapped[int] = mapped_column(default=0)
    received_count: Mapped[int] = mapped_column(default=0)
    rank_score: Mapped[float] = mapped_column(Float, default=0.0)
    # Reliability, measured over the last RELIABILITY_MONTHS by
    # community.helping.reliability (never typed in, never shown as a score):
    # invitations replied to (accepted or "not this time") and let expire;
    # matches where the helper wrote first within the window of a first
    # message, the median hours to it, and matches where they never wrote;
    # matches that ended with thanks and matches cancelled instead.
    invitations_replied: Mapped[int] = mapped_column(default=0, server_default="0")
    invitations_missed: Mapped[int] = mapped_column(default=0, server_default="0")
    first_messages: Mapped[int] = mapped_column(default=0, server_default="0")
    first_messages_missed: Mapped[int] = mapped_column(default=0, server_default="0")
    first_message_hours: Mapped[float | None] = mapped_column(Float)
    helps_thanked: Mapped[int] = mapped_column(default=0, server_default="0")
    helps_not_thanked: Mapped[int] = mapped_column(default=0, server_default="0")
    reliability_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()  # noqa: F821
    skill_links: Mapped[list[OfferSkill]] = relationship(
        back_populates="offer", cascade="all, delete-orphan"
    )
    genres: Mapped[list[Genre]] = relationship(secondary=offer_genres, order_by=Genre.position)

    @property
    def skills(self) -> list[Skill]:
        return sorted((link.skill for link in self.skill_links), key=lambda s: s.position)


class OfferSkill(db.Model):
    """A skill of an offer, with the offer's availability and rank copied in.

    The copy lets "the best available volunteers for skill S" be one index
    range scan: (skill_id, available, rank_score DESC).
    """

    __tablename__ = "offer_skills"
    __table_args__ = (Index("ix_offer_skills_rank", "skill_id", "available", "rank_score"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_offers.user_id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )
    available: Mapped[bool] = mapped_column(default=True)
    rank_score: Mapped[float] = mapped_column(Float, default=0.0)

    offer: Mapped[VolunteerOffer] = relationship(back_populates="skill_links")
    skill: Mapped[Skill] = relationship()


class RequestAsk(db.Model):
    """A volunteer told about a request (an ask), in which round, and what came of it.

    One row per volunteer and request: nobody is asked twice about one request.
    """

    __tablename__ = "request_asks"
    __table_args__ = (
        UniqueConstraint("request_id", "volunteer_id"),
        Index("ix_request_asks_volunteer_asked", "volunteer_id", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=1)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20), default=AskOutcome.ASKED.value)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[HelpRequest] = relationship()
    volunteer: Mapped[User] = relationship()  # noqa: F821


class Answer(db.Model):
    """A volunteer's "I can help", or a requester's invitation to a volunteer."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("request_id", "volunteer_id"),
        # The honest-answers job reads only what is due (community.helping.honest).
        Index("ix_answers_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=AnswerKind.OFFER.value)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=AnswerStatus.PENDING.value)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A pending answer with no reply by then expires by itself (declined, with
    # ``expired_at`` set and a kind note to the other side); emptied when it
    # is expired, and by the job once the answer was answered another way.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Closed (declined) because a match filled the request's last helper
    # place while it waited: the volunteer was told "the places are filled".
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[HelpRequest] = relationship(back_populates="answers")
    volunteer: Mapped[User] = relationship()  # noqa: F821
    comments: Mapped[list[AnswerComment]] = relationship(
        back_populates="answer", order_by="AnswerComment.created_at", cascade="all, delete-orphan"
    )


class AnswerComment(db.Model):
    """A question or reply on an answer, between the requester and the volunteer."""

    __tablename__ = "answer_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    answer: Mapped[Answer] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()  # noqa: F821


class Match(db.Model):
    """A requester and a helper brought together for one request."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("answer_id"),
        Index("ix_matches_helper_created", "helper_id", "created_at"),
        Index("ix_matches_requester", "requester_id"),
        Index("ix_matches_request", "request_id"),
        # The first-contact job reads only what is due (community.helping.first_contact).
        Index("ix_matches_helper_reminder_due", "helper_reminder_due_at"),
        Index("ix_matches_requester_reminder_due", "requester_reminder_due_at"),
        # The check-ins job reads only what is due (community.helping.check_ins).
        Index("ix_matches_check_in_due", "check_in_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"))
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=MatchStatus.ACTIVE.value)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by the job that emails the introductions; its claim against doubles.
    introduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When each side gets their one "say hello" reminder if nobody has written;
    # cleared (by one conditional UPDATE) when it is sent or no longer needed.
    helper_reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requester_reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Check-ins (community.helping.check_ins): when the next "how is it
    # going?" is due (pushed back by every chat message, emptied once the
    # last is sent or the match ends), how many went out, when the last one
    # went out while it waits for an answer, and whether the match ended
    # because it stalled (a cancel, told apart for the reliability signal).
    check_in_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    check_ins_sent: Mapped[int] = mapped_column(default=0)
    check_in_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stalled: Mapped[bool] = mapped_column(default=False)
    # The helper's "I finished my part" (once; the requester is reminded to thank).
    helper_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[HelpRequest] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])  # noqa: F821
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])  # noqa: F821

    def participant_ids(self) -> set[int]:
        return {self.requester_id, self.helper_id}


class MatchClosure(db.Model):
    """One member's private sentence about how an ended match went: read by
    moderators and by the rank only, never by the other member or publicly.
    One per member and match (community.helping.closure)."""

    __tablename__ = "match_closures"
    __table_args__ = (
        UniqueConstraint("match_id", "user_id"),
        Index("ix_match_closures_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    match: Mapped[Match] = relationship()
    user: Mapped[User] = relationship()  # noqa: F821


class RequestDigest(db.Model):
    """A volunteer's weekly email of open requests that fit them, as made.

    One row each time the weekly job looks at a volunteer, with how many
    requests went out (0: nothing fit, and no email was sent), so that
    nobody is looked at, or written to, twice in seven days.
    """

    __tablename__ = "request_digests"
    __table_args__ = (Index("ix_request_digests_volunteer_made", "volunteer_id", "made_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    request_count: Mapped[int] = mapped_column(default=0)


class RequestDigestItem(db.Model):
    """A request shown to a volunteer in a weekly digest: never shown to them again."""

    __tablename__ = "request_digest_items"
    __table_args__ = (Index("ix_request_digest_items_request", "request_id"),)

    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), primary_key=True
    )
    digest_id: Mapped[int] = mapped_column(ForeignKey("request_digests.id", ondelete="CASCADE"))


class MatchThanksBack(db.Model):
    """The helper's one short thank-you to the requester once a match has ended
    (helping goes both ways). Seen by the two members only; not a
    :class:`~community.kindness.models.Thanks`, not an act of help, never in
    the ripples (community.helping.thanks_back)."""

    __tablename__ = "match_thanks_back"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), unique=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    match: Mapped[Match] = relationship()
    helper: Mapped[User] = relationship()  # noqa: F821
