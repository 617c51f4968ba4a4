"""Password policy and hashing (argon2id at OWASP's parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from community.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256


class PasswordPolicyError(Invalid):
    """The password breaks the policy; the message says how, for the member."""


@cache
def _common_passwords() -> frozenset[str]:
    # Loaded on first use, not at start-up: the word lists are megabytes that
    # a worker or a CLI command never needs.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, field: str = "password") -> None:
    """Raise PasswordPolicyError (on ``field``) unless ``password`` may be used.

    Any characters are allowed; length is counted in characters.
    """
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Use at least {MIN_LENGTH} characters.", field)
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Use at most {MAX_LENGTH} characters.", field)
    if password.lower() in _common_passwords():
        raise PasswordPolicyError(
            "That password is on the list of the most common passwords. Choose another.",
            field,
        )


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _cached_hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


@cache
def _cached_hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _cached_hasher(time_cost, memory_cost, parallelism).hash("not a real password")


def burn_verification_time(password: str) -> None:
    """Spend as long as a real check, so an unknown email is not told by timing."""
    config = current_app.config
    dummy = _dummy_hash(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )
    verify_password(dummy, password)
