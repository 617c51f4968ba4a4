"""Tables of the accounts area: members, their login sessions and tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.db import UTCDateTime, db, utcnow


class User(UserMixin, db.Model):
    """A member. ``email`` is stored lower-cased and is unique."""

    __tablename__ = "users"
    # The feed's "people to meet" reads the newest members first.
    __table_args__ = (Index("ix_users_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Standing, kept by community.moderation (its module docstring has the rules).
    is_moderator: Mapped[bool] = mapped_column(default=False)
    trust_level_set: Mapped[int | None] = mapped_column()  # a moderator's choice, else computed
    limited_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    limited_automatically: Mapped[bool] = mapped_column(default=False)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    profile: Mapped[Profile] = relationship(  # noqa: F821
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    # Flask-Login keys a login to a server-side LoginSession, not to the
    # user id: see community.accounts.sessions. The loader sets this.
    current_login_session = None  # a LoginSession

    def get_id(self) -> str | None:
        if self.current_login_session is None:
            return None
        return self.current_login_session.cookie_value

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def is_limited(self) -> bool:
        return self.limited_until is not None and self.limited_until > utcnow()

    @property
    def can_moderate(self) -> bool:
        return self.is_moderator or self.is_admin

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive members cannot log in
        return self.deleted_at is None and not self.is_suspended

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginSession(db.Model):
    """One signed-in browser. Deleting the row signs that browser out.

    The cookie carries ``<id>.<secret>``; only a hash of the secret is
    stored, so a copy of the database does not let anyone sign in.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()

    # Set when the row is created, never stored: the cookie needs the secret.
    cookie_value = None  # str


class AccountToken(db.Model):
    """A single-use secret sent by email: verify an address, reset a password.

    Issuing a token of a purpose deletes the member's older ones of that
    purpose, so only the newest link works.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
