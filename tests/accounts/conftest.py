"""Fixtures of the accounts tests: settings per test, sign-up through the form."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD


@pytest.fixture
def signup(client):
    """Sign up through the form: ``signup(email=..., name=..., password=...)``."""

    def do(email="new.author@example.com", name="Ada Writer", password=PASSWORD, c=None):
        return (c or client).post(
            "/signup", data={"email": email, "display_name": name, "password": password}
        )

    return do
