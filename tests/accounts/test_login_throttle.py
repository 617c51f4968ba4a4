"""Login throttling per account and per address, forged X-Forwarded-For, Redis storage.

That a guesser cannot lock the owner out is tests/security/test_f10_login_lockout.py."""

from __future__ import annotations

import uuid

import pytest
from redis import Redis

from community import create_app
from community.db import db
from tests.accounts.helpers import PASSWORD, FreshContextClient, is_logged_in, login

WRONG = "not the right password"


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def limits(per_account, per_address, **more):
    return {
        "LOGIN_LIMIT_PER_ACCOUNT": per_account,
        "LOGIN_LIMIT_PER_ADDRESS": per_address,
        **more,
    }


@pytest.mark.parametrize(
    "settings", [limits("3 per 15 minutes", "100 per 15 minutes")], ids=["account3"]
)
def test_successful_logins_do_not_count_against_the_account(app, make_user):
    make_user(email="member@example.com")
    for _ in range(4):
        client = from_address(app, "192.0.2.1")
        assert login(client, "member@example.com").status_code == 302
    assert login(from_address(app, "192.0.2.1"), "member@example.com", WRONG).status_code == 200


@pytest.mark.parametrize(
    "settings", [limits("100 per 15 minutes", "4 per 15 minutes")], ids=["address4"]
)
def test_attempts_from_one_address_are_limited_across_accounts(app, make_user):
    make_user(email="member@example.com")
    sprayer = from_address(app, "198.51.100.7")

    for n in range(4):
        assert login(sprayer, f"guess{n}@example.com", WRONG).status_code == 200
    assert login(sprayer, "member@example.com", PASSWORD).status_code == 429
    assert not is_logged_in(sprayer)
    # Someone at another address is not affected.
    elsewhere = from_address(app, "192.0.2.44")
    assert login(elsewhere, "member@example.com", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "settings",
    [limits("100 per 15 minutes", "3 per 15 minutes", TRUSTED_PROXY_COUNT=0)],
    ids=["address3-no-proxy"],
)
def test_forged_forwarded_for_does_not_bypass_the_address_limit(app, make_user):
    make_user(email="member@example.com")
    attacker = from_address(app, "198.51.100.7")

    def attempt(n, email, password):
        return login(
            attacker,
            email,
            password,
            headers={"X-Forwarded-For": f"10.0.{n}.{n}", "X-Real-IP": f"10.1.{n}.{n}"},
        )

    statuses = [attempt(n, f"guess{n}@example.com", WRONG).status_code for n in range(3)]
    assert statuses == [200, 200, 200]
    assert attempt(99, "member@example.com", PASSWORD).status_code == 429
    assert attempt(100, "guess@example.com", WRONG).status_code == 429


@pytest.mark.parametrize(
    "settings",
    [limits("100 per 15 minutes", "3 per 15 minutes", TRUSTED_PROXY_COUNT=1)],
    ids=["address3-one-proxy"],
)
def test_behind_a_trusted_proxy_the_forwarded_address_is_used(app, make_user):
    make_user(email="member@example.com")
    proxy = "10.0.0.2"  # every request reaches the app from the proxy

    def attempt(client_address, email="nobody@example.com", password=WRONG):
        client = from_address(app, proxy)
        return login(
            client,
            email,
            password,
            headers={"X-Forwarded-For": f"203.0.113.250, {client_address}"},
        )

    # Many clients behind the one proxy do not share a limit...
    for n in range(6):
        assert attempt(f"192.0.2.{n}").status_code == 200
    # ...but one client is limited by its own (forwarded) address, and only
    # the address the proxy appended counts, not what the client claimed.
    for _ in range(3):
        assert attempt("198.51.100.7").status_code == 200
    assert attempt("198.51.100.7", "member@example.com", PASSWORD).status_code == 429
    assert attempt("192.0.2.200", "member@example.com", PASSWORD).status_code == 302


class TestWithRedisStorage:
    @pytest.fixture
    def settings(self, redis_url):
        return limits("2 per 15 minutes", "100 per 15 minutes", RATELIMIT_STORAGE_URI=redis_url)

    def test_the_limit_is_kept_in_redis_and_shared_by_every_process(
        self, app, app_config, make_user, redis_url
    ):
        make_user(email="member@example.com")
        first_process = from_address(app, "198.51.100.7")
        assert login(first_process, "member@example.com", WRONG).status_code == 200
        assert login(first_process, "member@example.com", WRONG).status_code == 200
        assert login(first_process, "member@example.com", PASSWORD).status_code == 429

        keys = Redis.from_url(redis_url).keys("*login-account:member@example.com*")
        assert keys, "the attempts are counted in Redis"

        # A second web process (its own app, its own connection to the
        # storage) sees the same count.
        other = create_app(dict(app_config, INSTANCE_PATH=app_config["INSTANCE_PATH"] + "-2"))
        other.test_client_class = FreshContextClient
        try:
            client = other.test_client()
            client.environ_base["REMOTE_ADDR"] = "192.0.2.9"
            assert login(client, "member@example.com", PASSWORD).status_code == 429
            assert login(client, f"{uuid.uuid4().hex}@example.com", WRONG).status_code == 200
        finally:
            with other.app_context():
                db.engine.dispose()
