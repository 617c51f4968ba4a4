"""Finding 3: no route sends an address more than a few emails.

Every route that emails an address is limited per account (or destination
address) and per IP address, across all such routes; over a limit the
member gets a 429 that says why, and no outbox row is written.
"""

from __future__ import annotations

import pytest
from redis import Redis
from sqlalchemy import func, select

from community.db import db
from community.mail.models import OutboxEmail
from tests.accounts.helpers import PASSWORD, login

PER_ACCOUNT = {"EMAIL_LIMIT_PER_ACCOUNT": "3 per hour", "EMAIL_LIMIT_PER_ADDRESS": "100 per hour"}


def outbox_rows(to: str | None = None) -> int:
    db.session.rollback()
    statement = select(func.count()).select_from(OutboxEmail)
    if to is not None:
        statement = statement.where(OutboxEmail.to_address == to)
    return db.session.scalar(statement)


def assert_refused(response) -> None:
    assert response.status_code == 429
    assert b"several emails" in response.data


@pytest.mark.parametrize("settings", [PER_ACCOUNT], ids=["account3"])
def test_resend_verification_twenty_times_sends_three(app, client, make_user):
    make_user(email="una@example.com", unverified=True)
    assert login(client, "una@example.com").status_code == 302
    statuses = [client.post("/verify/resend").status_code for _ in range(20)]
    assert statuses[:3] == [302, 302, 302]
    assert set(statuses[3:]) == {429}
    assert_refused(client.post("/verify/resend"))
    assert outbox_rows("una@example.com") == 3


@pytest.mark.parametrize("settings", [PER_ACCOUNT], ids=["account3"])
def test_change_email_to_a_victim_twenty_times_sends_three(app, client, make_user):
    make_user(email="mallory@example.com")
    assert login(client, "mallory@example.com").status_code == 302
    for n in range(20):
        response = client.post(
            "/account/email",
            data={"email-new_email": "victim@example.com", "email-password": PASSWORD},
        )
        assert response.status_code == (302 if n < 3 else 429), n
    assert outbox_rows("victim@example.com") == 3


@pytest.mark.parametrize("settings", [PER_ACCOUNT], ids=["account3"])
def test_a_victim_address_is_limited_across_accounts_and_routes(app, make_user):
    """Sign-up, forgotten password and email change all count against the one
    destination address, whoever asks and from wherever."""
    make_user(email="victim@example.com")
    sent_before = outbox_rows("victim@example.com")
    for n in range(6):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        if n % 2:
            response = client.post("/password/forgot", data={"email": "Victim@Example.com"})
        else:
            response = client.post(
                "/signup",
                data={
                    "email": "victim@example.com",
                    "display_name": "Not Victim",
                    "password": "a long passphrase",
                },
            )
        assert response.status_code == (200 if n < 3 else 429), n
    assert outbox_rows("victim@example.com") - sent_before == 3


@pytest.mark.parametrize(
    "settings",
    [{"EMAIL_LIMIT_PER_ACCOUNT": "100 per hour", "EMAIL_LIMIT_PER_ADDRESS": "4 per hour"}],
    ids=["ip4"],
)
def test_one_ip_address_is_limited_across_addresses_and_routes(app, client):
    for n in range(4):
        path = "/password/forgot" if n % 2 else "/signup"
        data = {"email": f"someone{n}@example.com", "display_name": "X", "password": "a long pass"}
        assert client.post(path, data=data).status_code == 200
    before = outbox_rows()
    assert_refused(client.post("/signup", data={"email": "new@example.com", "display_name": "X"}))
    assert_refused(client.post("/password/forgot", data={"email": "new@example.com"}))
    assert outbox_rows() == before
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert elsewhere.post("/password/forgot", data={"email": "new@example.com"}).status_code == 200


class TestSharedThroughRedis:
    @pytest.fixture
    def settings(self, redis_url):
        return {**PER_ACCOUNT, "RATELIMIT_STORAGE_URI": redis_url}

    def test_the_counts_live_in_redis(self, app, client, make_user, redis_url):
        make_user(email="una@example.com", unverified=True)
        assert login(client, "una@example.com").status_code == 302
        for _ in range(3):
            assert client.post("/verify/resend").status_code == 302
        assert_refused(client.post("/verify/resend"))
        assert Redis.from_url(redis_url).keys("*email-account*")
        assert outbox_rows("una@example.com") == 3
