"""Finding 8: the "keep it open" link must be the requester's alone.

Before: anyone logged in holding the link could see the request's title
(even of a closed or expired request), keep it open or reopen it, the
link never expired, and an unverified requester could use it. Now anyone
but the requester it was made for gets 404 and nothing changes, the link
expires after KEEP_OPEN_LINK_DAYS, and the verified-email check applies.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from community.db import db, utcnow
from community.helping import requests
from community.helping.models import HelpRequest, RequestStatus
from tests.builders import reload

TITLE = "My secret lighthouse novel"


def _expired_request(make_user, make_request):
    ann = make_user(email="ann@example.com")
    request = make_request(ann, title=TITLE)
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id)
        .values(status=RequestStatus.EXPIRED.value, ended_at=utcnow())
    )
    db.session.commit()
    return ann, reload(request)


@pytest.mark.parametrize("who", ["other", "admin"])
def test_another_member_gets_404_and_nothing_changes(
    app, client, auth, make_user, make_request, who
):
    _ann, request = _expired_request(make_user, make_request)
    make_user(email="other@example.com")
    make_user(email="admin@example.com", is_admin=True)
    link = f"/requests/keep-open/{requests.keep_open_token(request)}"
    auth.login(f"{who}@example.com")

    page = client.get(link)
    assert page.status_code == 404
    assert TITLE not in page.get_data(as_text=True)
    assert client.post(link).status_code == 404
    assert reload(request).status == RequestStatus.EXPIRED


def test_the_requester_reopens_their_own_request(app, client, auth, make_user, make_request):
    _ann, request = _expired_request(make_user, make_request)
    link = f"/requests/keep-open/{requests.keep_open_token(request)}"
    auth.login("ann@example.com")
    assert TITLE in client.get(link).get_data(as_text=True)
    assert client.post(link).status_code == 302
    assert reload(request).status == RequestStatus.OPEN


def test_the_link_expires(app, client, auth, make_user, make_request, monkeypatch):
    _ann, request = _expired_request(make_user, make_request)
    # Made KEEP_OPEN_LINK_DAYS and a minute ago (the signer's clock, moved back).
    age = timedelta(days=app.config["KEEP_OPEN_LINK_DAYS"], minutes=1).total_seconds()
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - age)
    token = requests.keep_open_token(request)
    monkeypatch.setattr("itsdangerous.timed.time.time", real_time)

    auth.login("ann@example.com")
    assert client.get(f"/requests/keep-open/{token}").status_code == 404
    assert client.post(f"/requests/keep-open/{token}").status_code == 404
    assert reload(request).status == RequestStatus.EXPIRED


def test_an_unverified_requester_cannot_reopen(app, client, auth, make_user, make_request):
    ann, request = _expired_request(make_user, make_request)
    ann.email_verified_at = None
    db.session.commit()
    auth.login("ann@example.com")
    response = client.post(f"/requests/keep-open/{requests.keep_open_token(request)}")
    assert response.status_code == 302
    assert reload(request).status == RequestStatus.EXPIRED


def test_a_link_moved_to_another_request_is_refused(app, client, auth, make_user, make_request):
    """A link names one request and its requester: a member's own link cannot
    be pointed at someone else's request."""
    _ann, request = _expired_request(make_user, make_request)
    ben = make_user(email="ben@example.com")
    serializer = requests._keep_open_serializer()
    forged_by_ben = serializer.dumps({"r": request.id, "u": ben.id})
    auth.login("ben@example.com")
    assert client.post(f"/requests/keep-open/{forged_by_ben}").status_code == 404
    assert reload(request).status == RequestStatus.EXPIRED
