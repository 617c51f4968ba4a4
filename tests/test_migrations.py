"""The schema only changes through migrations: they round-trip and match the models."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from community import create_app
from community.chat.models import Conversation, ConversationKind, ConversationMember, Message
from community.db import db, include_in_autogenerate, utcnow
from tests.conftest import POSTGRESQL_URL, base_config, unavailable
from tests.factories import UserFactory


def _scratch_postgresql_url() -> str:
    """A database of its own, so dropping tables here never hurts other tests."""
    url = sa.engine.make_url(POSTGRESQL_URL)
    scratch = url.set(database=f"{url.database}_migrations")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": scratch.database},
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{scratch.database}"'))
    except Exception as error:
        unavailable("PostgreSQL at TEST_POSTGRESQL_URL", type(error).__name__)
    finally:
        admin.dispose()
    return scratch.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        url = _scratch_postgresql_url()
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        if request.param == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        yield app
        db.engine.dispose()


def _tables() -> set[str]:
    return {
        name
        for name in sa.inspect(db.engine).get_table_names()
        if name != "alembic_version" and include_in_autogenerate(name, "table", {})
    }


def _differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_in_autogenerate}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_round_trip(scratch_app):
    upgrade()
    model_tables = {table.name for table in db.metadata.sorted_tables}
    assert _tables() == model_tables
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM skills")) >= 20
        assert connection.scalar(sa.text("SELECT count(*) FROM genres")) >= 20

    downgrade(revision="base")
    # Nothing left behind, the hand-made search tables included.
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}

    upgrade()
    assert _tables() == model_tables


def test_models_and_migrations_agree(scratch_app):
    upgrade()
    assert _differences() == []


def test_seeded_taxonomy_has_the_skills_members_ask_for(scratch_app):
    upgrade()
    with db.engine.connect() as connection:
        names = set(connection.scalars(sa.text("SELECT name FROM skills")))
    for expected in (
        "Beta reading",
        "Query letters",
        "Book proposals",
        "Finding an agent",
        "Self-publishing",
        "Marketing",
        "Social media",
        "Moral support",
    ):
        assert expected in names


def test_first_contact_is_filled_in_from_the_messages_already_written(scratch_app):
    """0013 gives each conversation member the time of their first message."""
    upgrade()
    ann, ben = UserFactory(), UserFactory()
    conversation = Conversation(kind=ConversationKind.CONNECTION.value, pair_key="a:b")
    db.session.add(conversation)
    db.session.flush()
    for user in (ann, ben):
        db.session.add(ConversationMember(conversation_id=conversation.id, user_id=user.id))
    first = utcnow().replace(microsecond=0) - timedelta(days=2)
    for seq, at in enumerate((first, first + timedelta(hours=1)), start=1):
        db.session.add(
            Message(
                conversation_id=conversation.id,
                seq=seq,
                sender_id=ann.id,
                client_id=f"c{seq}",
                body="Hello there",
                created_at=at,
            )
        )
    db.session.commit()
    ann_id, ben_id = ann.id, ben.id
    db.session.remove()

    downgrade(revision="0012")
    upgrade()
    written = dict(
        db.session.execute(
            select(ConversationMember.user_id, ConversationMember.first_wrote_at)
        ).all()
    )
    db.session.remove()
    assert written == {ann_id: first, ben_id: None}
