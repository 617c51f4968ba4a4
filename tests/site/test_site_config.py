"""Configuration: production refuses unsafe settings; development keeps a generated key."""

from __future__ import annotations

import stat

import pytest

from community import create_app
from community.config import ConfigurationError, load_config

SAFE_KEY = "k" * 48
ENV_VARIABLES = (
    "KINDRED_ENV",
    "SECRET_KEY",
    "FLASK_DEBUG",
    "BASE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "SOCKETIO_MESSAGE_QUEUE",
)


@pytest.fixture
def clean_env(monkeypatch):
    """No setting comes from the environment of whoever runs the tests."""
    for name in ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def production(tmp_path, clean_env):
    def settings(**changes):
        config = {
            "ENV_NAME": "production",
            "SECRET_KEY": SAFE_KEY,
            "BASE_URL": "https://kindred.example",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        }
        config.update(changes)
        return {k: v for k, v in config.items() if v is not ...}

    return settings


def test_a_safe_production_configuration_starts(production):
    app = create_app(production())
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SECRET_KEY"] == SAFE_KEY
    assert app.debug is False
    assert app.config["TESTING"] is False


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "too-short-a-key"}, "SECRET_KEY is shorter than 32 characters"),
        ({"DEBUG": True}, "debug mode is on"),
        ({"BASE_URL": None}, "BASE_URL is not set"),
    ],
    ids=["no-key", "empty-key", "short-key", "debug", "no-base-url"],
)
def test_production_refuses_an_unsafe_configuration(production, changes, problem):
    with pytest.raises(ConfigurationError, match=problem):
        create_app(production(**changes))


def test_production_refuses_debug_from_the_environment(production, clean_env):
    clean_env.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigurationError, match="debug mode is on"):
        create_app(production())


def test_production_reads_secret_and_base_url_from_the_environment(production, clean_env):
    clean_env.setenv("SECRET_KEY", "e" * 40)
    clean_env.setenv("BASE_URL", "https://from-env.example")
    app = create_app(production(SECRET_KEY=..., BASE_URL=...))
    assert app.config["SECRET_KEY"] == "e" * 40
    assert app.config["BASE_URL"] == "https://from-env.example"


def test_production_is_the_default_environment(tmp_path, clean_env):
    """A forgotten KINDRED_ENV fails safe: production's checks apply."""
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_an_unknown_environment_is_refused(tmp_path, clean_env):
    clean_env.setenv("KINDRED_ENV", "prod")
    with pytest.raises(ConfigurationError, match="KINDRED_ENV"):
        load_config(tmp_path)


def test_development_generates_a_secret_key_once_and_reuses_it(tmp_path, clean_env):
    instance = tmp_path / "instance"
    settings = {
        "ENV_NAME": "development",
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
    }
    first = create_app(dict(settings))
    key_file = instance / "secret_key"
    assert key_file.exists()
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    second = create_app(dict(settings))
    assert second.config["SECRET_KEY"] == key
    # Development has safe local defaults and no Secure-only cookies.
    assert second.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert second.config["SESSION_COOKIE_SECURE"] is False

    # Another instance folder gets its own key.
    other = create_app(dict(settings, INSTANCE_PATH=str(tmp_path / "other")))
    assert other.config["SECRET_KEY"] != key


def test_development_prefers_a_secret_key_from_the_environment(tmp_path, clean_env):
    clean_env.setenv("SECRET_KEY", "from-the-environment-" + "x" * 20)
    config = load_config(tmp_path, {"ENV_NAME": "development"})
    assert config["SECRET_KEY"] == "from-the-environment-" + "x" * 20
    assert not (tmp_path / "secret_key").exists()


def test_defaults_a_single_machine_can_run_with(tmp_path, clean_env):
    config = load_config(tmp_path, {"ENV_NAME": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'kindred.sqlite3'}"
    assert config["REDIS_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["MAIL_SERVER"] is None
    assert config["MAIL_FILE_DIR"] == str(tmp_path / "mail")
    assert config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert config["TRUSTED_PROXY_COUNT"] == 0


def test_redis_url_is_also_the_rate_limit_storage(tmp_path, clean_env):
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    config = load_config(tmp_path, {"ENV_NAME": "development"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_a_malformed_number_is_refused(tmp_path, clean_env):
    clean_env.setenv("TRUSTED_PROXY_COUNT", "one")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_COUNT"):
        load_config(tmp_path, {"ENV_NAME": "development"})


def test_an_app_without_a_message_queue_does_not_inherit_an_earlier_ones(tmp_path, sqlite_url):
    """Flask-SocketIO is one object per process; an app built after one with a
    Redis queue (as the Redis-down tests build) must not publish to that queue."""
    from socketio import PubSubManager

    from community.extensions import socketio
    from tests.conftest import base_config

    config = base_config(tmp_path, sqlite_url)
    create_app({**config, "SOCKETIO_MESSAGE_QUEUE": "redis://127.0.0.1:1/0"})
    assert isinstance(socketio.server.manager, PubSubManager)
    create_app(config)
    assert not isinstance(socketio.server.manager, PubSubManager)
