"""Finding 10: nobody can lock a member out by failing to log in as them.

Failed attempts are counted per account and IP address (a guesser is slowed)
and per account from everywhere against a far higher ceiling (guessing spread
over many addresses); the right password from another address still works.
"""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD, is_logged_in, login

WRONG = "not the right password"

LIMITS = {
    "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "3 per 15 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "10 per hour",
    "LOGIN_LIMIT_PER_ADDRESS": "100 per 15 minutes",
}


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.mark.parametrize("settings", [LIMITS], ids=["pair3-account10"])
def test_a_guesser_is_slowed_but_the_owner_logs_in_from_elsewhere(app, make_user):
    make_user(email="target@example.com")
    attacker = from_address(app, "198.51.100.7")
    for _ in range(3):
        assert login(attacker, "target@example.com", WRONG).status_code == 200
    # The guesser's own next tries are refused, even with the right password...
    slowed = login(attacker, "Target@Example.com", PASSWORD)
    assert slowed.status_code == 429
    assert b"a lot of tries in a short time" in slowed.data
    assert not is_logged_in(attacker)
    # ...but the owner, at their own address, is not locked out.
    owner = from_address(app, "192.0.2.44")
    assert login(owner, "target@example.com", PASSWORD).status_code == 302
    assert is_logged_in(owner)


@pytest.mark.parametrize("settings", [LIMITS], ids=["pair3-account10"])
def test_guessing_from_many_addresses_meets_the_account_ceiling(app, make_user):
    make_user(email="target@example.com")
    for n in range(10):
        guesser = from_address(app, f"198.51.100.{n}")
        assert login(guesser, "target@example.com", WRONG).status_code == 200
    assert login(from_address(app, "203.0.113.1"), "target@example.com", WRONG).status_code == 429
