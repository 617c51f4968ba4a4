"""Business rules of accounts: sign-up, verification, passwords, email, deletion.

Functions flush, never commit: the caller (a view, a job, the CLI) commits
once. Emails are queued in the outbox and leave only after that commit.
Answers that could reveal whether an email is registered are the same
whether it is or not (see :func:`sign_up` and :func:`request_password_reset`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from community import jobs, trust
from community.accounts import sessions, signals
from community.accounts.models import AccountToken, LoginSession, User
from community.accounts.passwords import (
    burn_verification_time,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from community.db import db, utcnow
from community.errors import Invalid
from community.mail.models import OutboxEmail
from community.mail.outbox import queue_email
from community.notifications.models import Notification, NotificationPreference
from community.notifications.service import notify
from community.profiles.models import Profile
from community.text import clean_text
from community.urls import external_url

VERIFY = "verify_email"
RESET = "reset_password"
CHANGE_EMAIL = "change_email"
DISPLAY_NAME_MAX = 80

# Sent with the member inside delete_account's transaction (receivers flush).


class AccountError(Invalid):
    """A rule of accounts was broken; the message is fit to show the member."""


class InvalidToken(AccountError):
    """The link is unknown, used, superseded or expired."""


class WrongPassword(AccountError):
    """The current password given does not match."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(
        select(User).where(User.email == normalize_email(email), User.deleted_at.is_(None))
    )


# --- tokens ----------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: str, *, email: str, max_age: timedelta) -> str:
    """Create a single-use token (256 random bits); older ones of ``purpose`` die."""
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose)
    )
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(raw),
            email=email,
            created_at=now,
            expires_at=now + max_age,
        )
    )
    db.session.flush()
    return raw


def peek_token(raw: str, purpose: str) -> AccountToken:
    """Return the live token for ``raw`` without using it up, or raise InvalidToken."""
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _token_hash(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or token.expires_at <= utcnow():
        raise InvalidToken("This link has expired or has already been used.")
    return token


def consume_token(raw: str, purpose: str) -> AccountToken:
    """Use up the token for ``raw`` (it works once), or raise InvalidToken."""
    token = peek_token(raw, purpose)
    db.session.delete(token)
    db.session.flush()
    return token


# --- sign-up and verification ----------------------------------------------


def sign_up(email: str, display_name: str, password: str) -> User | None:
    """Register a member and send the verification email.

    If the email is taken, nothing is created and the owner of the address
    is told instead; the caller answers the same either way. Returns the new
    member, or None when the address was taken.
    """
    check_password_policy(password)
    display_name = clean_display_name(display_name)
    # Before the address is looked up, so that the answer is the same either way.
    refused = trust.link_refusal(None, display_name)
    if refused:
        raise AccountError(refused, "display_name")
    email = normalize_email(email)
    existing = find_by_email(email)
    if existing is not None:
        hash_password(password)  # take as long as a real sign-up
        queue_email(
            "account_exists",
            to_address=existing.email,
            user_id=existing.id,
            name=existing.display_name,
            login_url=external_url("accounts.login"),
            reset_url=external_url("accounts.forgot_password"),
        )
        return None
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
    )
    user.profile = Profile()
    db.session.add(user)
    db.session.flush()
    send_verification(user)
    return user


def clean_display_name(name: str) -> str:
    name = " ".join(clean_text(name).split())
    if not name:
        raise AccountError("Tell us the name you would like to be known by.", "display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise AccountError(f"Use at most {DISPLAY_NAME_MAX} characters.", "display_name")
    return name


def send_verification(user: User) -> None:
    raw = issue_token(
        user, VERIFY, email=user.email, max_age=current_app.config["VERIFY_TOKEN_MAX_AGE"]
    )
    queue_email(
        "verify_email",
        to_address=user.email,
        user_id=user.id,
        name=user.display_name,
        verify_url=external_url("accounts.verify_email", token=raw),
        hours=int(current_app.config["VERIFY_TOKEN_MAX_AGE"].total_seconds() // 3600),
    )


def verify_email(raw: str) -> User:
    """Mark the address verified. The link works once; raises InvalidToken."""
    token = consume_token(raw, VERIFY)
    user = db.session.get(User, token.user_id)
    if user.email != token.email or user.is_deleted:
        raise InvalidToken("This link was for an address that is no longer on the account.")
    first_time = user.email_verified_at is None
    user.email_verified_at = utcnow()
    if first_time:
        notify(user, "welcome", {})
    return user


# --- logging in ------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The member with this email and password, or None (same time either way)."""
    user = find_by_email(email)
    if user is None:
        burn_verification_time(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def log_in(email: str, password: str, *, remember: bool, user_agent: str = "") -> User | None:
    """Authenticate and start a login session; None when the email and password
    do not match an account (nothing else is written then). A suspended
    member is returned without a session: they may read why, not sign in."""
    user = authenticate(email, password)
    if user is not None and not user.is_suspended:
        sessions.start_login_session(user, remember=remember, user_agent=user_agent)
    return user


def sign_out_everywhere(user: User) -> int:
    """End every login session of the member, this one included."""
    return sessions.end_all_login_sessions(user)


# --- passwords -------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Email a reset link if the address belongs to a member; silent otherwise."""
    user = find_by_email(email)
    if user is None:
        return
    raw = issue_token(
        user, RESET, email=user.email, max_age=current_app.config["RESET_TOKEN_MAX_AGE"]
    )
    queue_email(
        "reset_password",
        to_address=user.email,
        user_id=user.id,
        name=user.display_name,
        reset_url=external_url("accounts.reset_password", token=raw),
        minutes=int(current_app.config["RESET_TOKEN_MAX_AGE"].total_seconds() // 60),
    )


def reset_password(raw: str, new_password: str) -> User:
    """Set a new password from a reset link; every login session ends."""
    check_password_policy(new_password)
    token = consume_token(raw, RESET)
    user = db.session.get(User, token.user_id)
    _set_password(user, new_password)
    sessions.end_all_login_sessions(user)
    # Whoever could read the mailbox could reset; the address is proven.
    if user.email == token.email and user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password; every other login session of the member ends."""
    if not verify_password(user.password_hash, current_password):
        raise WrongPassword("Your current password is not right.", "current_password")
    check_password_policy(new_password, "new_password")
    _set_password(user, new_password)
    sessions.end_all_login_sessions(user, keep=user.current_login_session)


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == RESET)
    )
    queue_email(
        "password_changed",
        to_address=user.email,
        user_id=user.id,
        name=user.display_name,
        reset_url=external_url("accounts.forgot_password"),
    )


# --- email change ----------------------------------------------------------


def request_email_change(user: User, password: str, new_email: str) -> None:
    """Send a confirmation link to ``new_email``; the change happens when it is used."""
    if not verify_password(user.password_hash, password):
        raise WrongPassword("Your current password is not right.", "password")
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise AccountError("That is already your email address.", "new_email")
    if find_by_email(new_email) is not None:
        # Say the same as for a free address; tell the owner of that address.
        other = find_by_email(new_email)
        queue_email(
            "email_change_taken",
            to_address=new_email,
            user_id=other.id,
            name=other.display_name,
        )
        return
    raw = issue_token(
        user, CHANGE_EMAIL, email=new_email, max_age=current_app.config["VERIFY_TOKEN_MAX_AGE"]
    )
    queue_email(
        "confirm_email_change",
        to_address=new_email,
        user_id=user.id,
        name=user.display_name,
        confirm_url=external_url("accounts.confirm_email_change", token=raw),
    )


def confirm_email_change(raw: str) -> User:
    """Switch the account to the new, now verified, address."""
    token = consume_token(raw, CHANGE_EMAIL)
    user = db.session.get(User, token.user_id)
    if find_by_email(token.email) is not None:
        raise AccountError("That address now belongs to another account.")
    old_email = user.email
    user.email = token.email
    user.email_verified_at = utcnow()
    # A reset link sent to the old address must not outlive the change.
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == RESET)
    )
    queue_email(
        "email_changed",
        to_address=old_email,
        user_id=user.id,
        name=user.display_name,
        new_email=token.email,
    )
    return user


# --- deletion --------------------------------------------------------------


def delete_account(user: User, password: str) -> None:
    """Delete the member's account.

    What happens: their part in helping ends first (requests closed, pending
    answers withdrawn, active matches cancelled with the other member told,
    offer and follows removed: :mod:`community.helping.withdrawal`, through
    :data:`~community.accounts.signals.member_leaving`); the profile, links,
    notifications, preferences, login sessions (and, after the commit, every
    live socket), tokens and emails (unsent, and the record of sent ones) are
    deleted; the address is freed for a new sign-up. The member row stays
    as "Former member" with no email and no password, so that what others
    need to keep (conversations, acts of help in other members' ripples, in
    later features) still has an author, but nothing identifies the person.
    """
    if not verify_password(user.password_hash, password):
        raise WrongPassword("Your current password is not right.", "password")
    # Helping and the rest end their part (requests, answers, matches, offer,
    # follows) while the member still has a name to tell the others.
    signals.member_leaving.send(user, reason="deleted")
    # Every session ends, and after the commit every socket of every device.
    sessions.end_all_login_sessions(user)
    for model in (AccountToken, Notification, NotificationPreference):
        db.session.execute(delete(model).where(model.user_id == user.id))
    # Unsent emails are not sent, and the record of sent ones (which holds
    # the address and the name) goes too; only a send in progress is left
    # for its job to finish.
    db.session.execute(
        delete(OutboxEmail).where(OutboxEmail.user_id == user.id, OutboxEmail.status != "sending")
    )
    if user.profile is not None:
        db.session.delete(user.profile)
    user.email = f"deleted-{user.id}-{secrets.token_hex(4)}@deleted.invalid"
    user.display_name = "Former member"
    user.password_hash = "!"  # noqa: S105  (matches no password)
    user.email_verified_at = None
    user.is_admin = False
    user.deleted_at = utcnow()


@jobs.commits
def purge_expired() -> int:
    """Delete expired login sessions and tokens. A periodic job. Commits."""
    now = utcnow()
    count = db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now)).rowcount
    count += db.session.execute(delete(AccountToken).where(AccountToken.expires_at <= now)).rowcount
    return count


def member_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None)))
