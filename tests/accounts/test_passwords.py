"""Password hashing (argon2id at OWASP's parameters) and the policy, as units."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from community.accounts.models import User
from community.accounts.passwords import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    verify_password,
)
from community.config import load_config
from tests.accounts.helpers import PASSWORD, login, one

OWASP = {"ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 19 * 1024, "ARGON2_PARALLELISM": 1}


def test_default_hashing_parameters_meet_owasp(tmp_path, monkeypatch):
    for name in OWASP:
        monkeypatch.delenv(name, raising=False)
    config = load_config(tmp_path, {"ENV_NAME": "development", "SECRET_KEY": "k" * 40})
    assert config["ARGON2_TIME_COST"] >= 2
    assert config["ARGON2_MEMORY_COST"] >= 19 * 1024  # KiB
    assert config["ARGON2_PARALLELISM"] == 1


@pytest.mark.parametrize("settings", [OWASP], ids=["owasp"])
def test_hashes_are_argon2id_with_the_configured_parameters(app):
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hash_password(PASSWORD) != hashed  # salted
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + " ")
    assert not verify_password("not a hash", PASSWORD)
    assert not verify_password("!", PASSWORD)


@pytest.mark.parametrize("settings", [OWASP], ids=["owasp"])
def test_a_weaker_hash_is_upgraded_at_the_next_login(app, client, make_user):
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    user = make_user(email="old.timer@example.com", password_hash=weak.hash(PASSWORD))

    assert login(client, "old.timer@example.com").status_code == 302
    upgraded = one(User, id=user.id).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(upgraded, PASSWORD)


@pytest.mark.parametrize(
    "password",
    ["123456789", "x" * 9, "", "y" * 257, "password123", "PASSWORD123", "qwertyuiop", "iloveyou12"],
)
def test_policy_refuses(app, password):
    with pytest.raises(PasswordPolicyError):
        check_password_policy(password)


@pytest.mark.parametrize(
    "password",
    ["x" * 10, "z" * 256, "correct horse battery", "🐉" * 10, "naïve café crème", " " * 12],
)
def test_policy_accepts(app, password):
    check_password_policy(password)
