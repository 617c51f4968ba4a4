"""Finding 6: ``flask create-admin`` on an address someone already registered.

Before: the operator's command promoted the registrant's account (perhaps an
attacker's) and ignored the password typed. Now it refuses unless told
``--promote-existing``, and then the operator's password replaces the
registrant's, the address counts as verified and every session ends.
"""

from __future__ import annotations

from sqlalchemy import func, select

from community.accounts.models import AccountToken, LoginSession, User
from community.accounts.passwords import verify_password
from community.db import db

OPERATOR_PASSWORD = "operator typed this one"


def _run(app, *args):
    return app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--email",
            "Host@Example.com",
            "--name",
            "Host",
            "--password",
            OPERATOR_PASSWORD,
            *args,
        ]
    )


def _squatter(client, auth, make_user):
    user = make_user(email="host@example.com", display_name="Squatter", unverified=True)
    assert auth.login("host@example.com").status_code == 302
    return user


def test_an_existing_account_is_not_promoted_without_being_told(app, client, auth, make_user):
    squatter = _squatter(client, auth, make_user)
    old_hash = squatter.password_hash

    result = _run(app)

    assert result.exit_code != 0
    assert "--promote-existing" in result.output
    db.session.expire_all()
    user = db.session.get(User, squatter.id)
    assert not user.is_admin
    assert user.password_hash == old_hash
    assert client.get("/account").status_code == 200  # their session is untouched


def test_promote_existing_takes_the_account_back_from_its_registrant(app, client, auth, make_user):
    squatter = _squatter(client, auth, make_user)
    client.post("/password/forgot", data={"email": "host@example.com"})
    assert db.session.scalar(select(func.count(AccountToken.id))) == 1

    result = _run(app, "--promote-existing")

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.get(User, squatter.id)
    assert user.is_admin
    assert user.is_verified
    assert verify_password(user.password_hash, OPERATOR_PASSWORD)
    assert db.session.scalar(select(func.count(LoginSession.id))) == 0
    assert db.session.scalar(select(func.count(AccountToken.id))) == 0
    # The registrant's browser is signed out.
    assert client.get("/account").status_code == 302


def test_a_new_address_becomes_a_verified_admin(app):
    result = _run(app)
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "host@example.com"))
    assert user.is_admin and user.is_verified
    assert verify_password(user.password_hash, OPERATOR_PASSWORD)


def test_a_weak_password_is_refused_before_anything_changes(app, make_user):
    squatter = make_user(email="host@example.com")
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--email",
            "host@example.com",
            "--name",
            "Host",
            "--password",
            "short",
            "--promote-existing",
        ]
    )
    assert result.exit_code != 0
    db.session.expire_all()
    assert not db.session.get(User, squatter.id).is_admin
