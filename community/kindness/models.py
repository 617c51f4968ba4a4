"""Tables of the kindness area: thanks, acts of help, pledges, and the stored
results of the ripples engine (pages read these; they never traverse)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow


class ThanksStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # a completed match, or help outside a match the helper confirmed
    PENDING = "pending"  # "X helped me": waiting for X to confirm
    DECLINED = "declined"  # X said it was not them


class HelpAct(db.Model):
    """One act of help: ``helper`` helped ``helped`` at ``at``. Made only by a
    completed match or by a confirmed "X helped me", never typed in directly."""

    __tablename__ = "help_acts"
    __table_args__ = (
        CheckConstraint("helper_id <> helped_id", name="not_self"),
        Index("ix_help_acts_at", "at", "id"),
        Index("ix_help_acts_helper", "helper_id", "at"),
        Index("ix_help_acts_helped", "helped_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helped_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by the ripples job once the act is in the engine's state.
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    helper: Mapped[User] = relationship(foreign_keys=[helper_id])  # noqa: F821
    helped: Mapped[User] = relationship(foreign_keys=[helped_id])  # noqa: F821


class Thanks(db.Model):
    """A thank-you from the member who was helped (``author``) to their helper.

    From a match it is confirmed at once (the match is the proof); for help
    outside a match it waits for the helper to confirm, so nobody can invent
    acts of help. It shows on the helper's profile unless either keeps it
    private.
    """

    __tablename__ = "thanks"
    __table_args__ = (
        CheckConstraint("author_id <> helper_id", name="not_self"),
        Index("ix_thanks_helper_created", "helper_id", "created_at"),
        Index("ix_thanks_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("matches.id", ondelete="SET NULL"), unique=True
    )
    act_id: Mapped[int | None] = mapped_column(
        ForeignKey("help_acts.id", ondelete="SET NULL"), unique=True
    )
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ThanksStatus.CONFIRMED.value)
    author_private: Mapped[bool] = mapped_column(default=False)
    helper_private: Mapped[bool] = mapped_column(default=False)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship(foreign_keys=[author_id])  # noqa: F821
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])  # noqa: F821
    match: Mapped[Match | None] = relationship()  # noqa: F821

    @property
    def is_public(self) -> bool:
        return (
            self.status == ThanksStatus.CONFIRMED
            and not self.author_private
            and not self.helper_private
        )


class Pledge(db.Model):
    """A promise, made while thanking, to pay the help forward. Kept by the
    first act of help the pledger gives after making it. ``nudged_at``: when
    the one week-later reminder of an open pledge went out (see
    :mod:`community.kindness.pledges`)."""

    __tablename__ = "pledges"
    __table_args__ = (
        Index("ix_pledges_user_kept", "user_id", "kept_at"),
        Index("ix_pledges_nudge_due", "kept_at", "nudged_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thanks_id: Mapped[int] = mapped_column(ForeignKey("thanks.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kept_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kept_act_id: Mapped[int | None] = mapped_column(ForeignKey("help_acts.id", ondelete="SET NULL"))
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    thanks: Mapped[Thanks] = relationship()


class MemberRipples(db.Model):
    """What the engine knows of one member, stored for the pages.

    ``tree`` is the picture's data: the member's help as the root and the
    people it reached, up to three levels, as written by the ripples job.
    """

    __tablename__ = "member_ripples"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    helped_directly: Mapped[int] = mapped_column(default=0)
    reached: Mapped[int] = mapped_column(default=0)
    longest_chain: Mapped[int] = mapped_column(default=0)
    came_back: Mapped[int] = mapped_column(default=0)
    tree: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CameBack(db.Model):
    """Kindness came back to ``member``: a chain that started with their help
    ended with someone helping them. ``chain`` lists the acts, in time order,
    as ``[{"act": id, "helper": id, "helped": id, "at": iso}, ...]``."""

    __tablename__ = "came_back"
    __table_args__ = (Index("ix_came_back_member_created", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    act_id: Mapped[int] = mapped_column(ForeignKey("help_acts.id", ondelete="CASCADE"), unique=True)
    chain: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    member: Mapped[User] = relationship()  # noqa: F821


class RippleState(db.Model):
    """The engine's header (one row): how many acts it holds, the newest
    act recorded, and which generation of :class:`RippleMemberState` rows is
    the current one. The header is small (the reached counts as bit planes,
    what the newest timestamp added); the bulk of the state is per member.
    A rebuild writes a new generation and switches ``generation`` to it in
    the same transaction, so a job never reads two generations at once."""

    __tablename__ = "ripple_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=1)
    header: Mapped[bytes] = mapped_column(LargeBinary)
    acts: Mapped[int] = mapped_column(default=0)
    last_act_id: Mapped[int] = mapped_column(default=0)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RippleMemberState(db.Model):
    """One member's part of the engine's state, in one generation: ``reach``
    (the members whose help reaches them, a serialized bitmap) and ``acts``
    (whom they helped, their longest chain, the acts into them with each
    act's chain length). See ``Ripples.member_records``. An act rewrites the
    rows of the few members it changes, never the whole state. No foreign
    key: the state is derived from the acts (a deleted member's acts go with
    them, and the next rebuild drops their row)."""

    __tablename__ = "ripple_member_state"

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    reach: Mapped[bytes | None] = mapped_column(LargeBinary)
    acts: Mapped[bytes | None] = mapped_column(LargeBinary)


class RippleActBlock(db.Model):
    """The engine's acts in time order, in blocks of ``ACT_BLOCK`` positions
    (helper, helped, time and key of each, packed): what a came-back chain
    is traced through, newest first, without reading the help_acts table
    row by row. An act rewrites only the last block. Same generations as
    :class:`RippleMemberState`."""

    __tablename__ = "ripple_act_block"

    generation: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    block: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class KindnessPrivacy(db.Model):
    """A member who keeps their acts of help out of public pages (a row means
    private). Counts that include them stay right; their name is hidden."""

    __tablename__ = "kindness_privacy"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
