"""Tables of the profiles area: profiles, their links, and the taxonomy."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow


class WritingStage(enum.StrEnum):
    DRAFTING = "drafting"
    REVISING = "revising"
    QUERYING = "querying"
    ON_SUBMISSION = "on_submission"
    PUBLISHED = "published"
    SELF_PUBLISHED = "self_published"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    WritingStage.DRAFTING: "Drafting",
    WritingStage.REVISING: "Revising",
    WritingStage.QUERYING: "Querying agents",
    WritingStage.ON_SUBMISSION: "On submission",
    WritingStage.PUBLISHED: "Published",
    WritingStage.SELF_PUBLISHED: "Self-published",
}


class Skill(db.Model):
    """A kind of help members ask for and offer. Seeded by a migration."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)


class Genre(db.Model):
    """A genre, fiction or non-fiction. Seeded by a migration."""

    __tablename__ = "genres"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(20))  # "fiction" or "nonfiction"
    position: Mapped[int] = mapped_column(default=0)


profile_genres = Table(
    "profile_genres",
    db.metadata,
    Column("profile_id", Integer, ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("genre_id", Integer, ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True),
    # Who writes a genre (the matching engine's genre pool).
    Index("ix_profile_genres_genre_profile", "genre_id", "profile_id"),
)
profile_wanted_skills = Table(
    "profile_wanted_skills",
    db.metadata,
    Column("profile_id", Integer, ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", Integer, ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)
profile_offered_skills = Table(
    "profile_offered_skills",
    db.metadata,
    Column("profile_id", Integer, ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", Integer, ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Profile(db.Model):
    """What a member tells others about themselves. One per member."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    about: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")  # noqa: F821
    genres: Mapped[list[Genre]] = relationship(secondary=profile_genres, order_by=Genre.position)
    wanted_skills: Mapped[list[Skill]] = relationship(
        secondary=profile_wanted_skills, order_by=Skill.position
    )
    offered_skills: Mapped[list[Skill]] = relationship(
        secondary=profile_offered_skills, order_by=Skill.position
    )
    links: Mapped[list[ProfileLink]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileLink.position"
    )

    @property
    def stage_label(self) -> str | None:
        return STAGE_LABELS[WritingStage(self.stage)] if self.stage else None


class ProfileLink(db.Model):
    """A link a member shows on their profile (http or https only)."""

    __tablename__ = "profile_links"
    __table_args__ = (UniqueConstraint("profile_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(500))

    profile: Mapped[Profile] = relationship(back_populates="links")
