"""The board's shared list of request cards (community/helping/board_cache.py):
rendered once for every member, and never stale after a change a card shows,
on the next load, whatever made the change; with Redis, without it, and with
Redis down (the board renders, never an error)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.db import db, utcnow
from community.helping import board_cache, requests
from community.helping.models import HelpRequest
from community.helping.requests import RequestInput
from community.moderation.service import hide_item
from tests.builders import accept, answer, reload
from tests.conftest import Auth


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def board(client, path: str = "/requests") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def viewer(app, make_user):
    make_user(email="viewer@example.com", display_name="Vic Viewer")
    return signed_in(app, "viewer@example.com")


def test_one_rendering_is_shared_by_every_member(
    app, ann, viewer, make_user, make_request, monkeypatch
):
    make_request(ann, title="A request everyone sees")
    make_user(email="other@example.com", display_name="Oli Other")
    other = signed_in(app, "other@example.com")
    calls = []
    real = requests.board_page
    monkeypatch.setattr(requests, "board_page", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert "A request everyone sees" in board(viewer)
    assert "A request everyone sees" in board(other)
    assert "A request everyone sees" in board(viewer, "/requests?page=1")
    assert len(calls) == 1
    # Another page or other filters are other lists.
    board(viewer, "/requests?skill=critique")
    assert len(calls) == 2


def test_logging_in_does_not_make_the_cards_stale(app, ann, viewer, make_request):
    make_request(ann)
    board(viewer)
    before = board_cache.version()
    signed_in(app, "ann@example.com")  # writes last_seen_at and a login session
    assert board_cache.version() == before


def test_an_edited_request_shows_on_the_next_load(app, ann, viewer, make_request):
    request = make_request(ann, title="The first title of the request")
    assert "The first title of the request" in board(viewer)
    requests.edit_request(
        ann,
        request,
        RequestInput(
            title="A better title for the request",
            details=request.details,
            skill_ids=[skill.id for skill in request.skills],
            genre_id=request.genre_id,
            format=request.format,
            effort=request.effort,
            deadline=request.deadline,
            helpers_wanted=request.helpers_wanted,
        ),
    )
    db.session.commit()
    page = board(viewer)
    assert "A better title for the request" in page
    assert "The first title of the request" not in page


def test_answers_that_change_places_and_status_show_on_the_next_load(
    app, ann, viewer, make_user, make_offer, make_request
):
    request = make_request(ann, title="Two readers wanted", helpers=2)
    assert "2 places left" in board(viewer)
    ben = make_user(email="ben@example.com", display_name="Ben Reader")
    cara = make_user(email="cara@example.com", display_name="Cara Reader")
    make_offer(ben, capacity=5)
    make_offer(cara, capacity=5)
    accept(ann, answer(ben, request))
    assert "1 place left" in board(viewer)
    accept(ann, answer(cara, reload(request)))
    assert "Two readers wanted" not in board(viewer)  # matched: off the board


def test_a_hidden_request_leaves_at_once(app, ann, viewer, make_user, make_request):
    request = make_request(ann, title="Something a moderator will hide")
    assert "Something a moderator will hide" in board(viewer)
    moderator = make_user(email="mod@example.com", is_admin=True)
    hide_item(moderator, ann, "request", request.id, "spam")
    db.session.commit()
    assert "Something a moderator will hide" not in board(viewer)


def test_a_bulk_update_by_a_job_shows_on_the_next_load(app, ann, viewer, make_request):
    request = make_request(ann, title="A request that goes quiet")
    assert "A request that goes quiet" in board(viewer)
    quiet = utcnow() - timedelta(days=app.config["REQUEST_EXPIRY_DAYS"] + 1)
    db.session.execute(
        HelpRequest.__table__.update()
        .where(HelpRequest.id == request.id)
        .values(last_activity_at=quiet, created_at=quiet)
    )
    db.session.commit()
    assert requests.expire_requests() == 1
    assert "A request that goes quiet" not in board(viewer)


def test_a_renamed_or_departed_requester_shows_on_the_next_load(app, ann, viewer, make_request):
    make_request(ann, title="A request by Ann")
    assert "Ann Asker" in board(viewer)
    ann.display_name = "Ann Author"
    db.session.commit()
    page = board(viewer)
    assert "Ann Author" in page and "Ann Asker" not in page


def test_a_rolled_back_change_bumps_nothing(app, ann, viewer, make_request):
    request = make_request(ann, title="A request that stays")
    board(viewer)
    before = board_cache.version()
    reload(request).title = "Never saved"
    db.session.flush()
    db.session.rollback()
    assert board_cache.version() == before
    assert "A request that stays" in board(viewer)


@pytest.mark.redis
class TestWithRedis:
    @pytest.fixture
    def app_config(self, app_config, redis_url):
        app_config["REDIS_URL"] = redis_url
        return app_config

    def test_the_version_lives_in_redis_and_changes_show(self, app, ann, viewer, make_request):
        request = make_request(ann, title="Read through Redis")
        assert "Read through Redis" in board(viewer)
        before = board_cache.version()
        assert before.startswith("redis-")
        request = reload(request)
        request.title = "Changed through Redis"
        db.session.commit()
        assert board_cache.version() != before
        assert "Changed through Redis" in board(viewer)


class TestRedisDown:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens there
        return app_config

    def test_the_board_renders_without_the_cache(self, app, ann, viewer, make_request):
        request = make_request(ann, title="Shown while Redis is down")
        assert board_cache.version() is None
        assert "Shown while Redis is down" in board(viewer)
        reload(request).title = "Still fresh while Redis is down"
        db.session.commit()  # the bump fails quietly
        assert "Still fresh while Redis is down" in board(viewer)
