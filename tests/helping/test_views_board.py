"""The request board through HTTP: order, filters, search, pages, "best for me"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community.db import db, utcnow
from community.helping.models import HelpRequest, RequestStatus
from tests.conftest import Auth


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


@pytest.fixture
def viewer(make_user):
    return make_user(email="viewer@example.com", display_name="Vic Viewer")


def age(help_request: HelpRequest, hours: int) -> None:
    help_request.created_at = utcnow() - timedelta(hours=hours)
    db.session.commit()


def test_home_sends_members_to_their_feed_which_links_the_board(app, viewer):
    client = signed_in(app, "viewer@example.com")
    assert client.get("/").headers["Location"] == "/feed"
    assert 'href="/requests"' in client.get("/feed").get_data(as_text=True)


def test_open_requests_newest_first_with_their_details(app, viewer, make_user, make_request):
    ann = make_user(email="ann@example.com", display_name="Ann Asker")
    older = make_request(ann, title="An older request for help", effort="about 2 hours")
    newer = make_request(ann, title="A newer request for help", format="call", helpers=3)
    closed = make_request(ann, title="A closed request for help")
    age(older, 5)
    closed.status = RequestStatus.CLOSED.value
    db.session.commit()
    page = signed_in(app, "viewer@example.com").get("/requests").get_data(as_text=True)
    assert page.index("A newer request for help") < page.index("An older request for help")
    assert "A closed request for help" not in page
    assert "Ann Asker" in page and "Drafting" in page  # name and stage
    assert "Beta reading" in page and "Fantasy" in page and "A call" in page
    assert "about 2 hours" in page and "3 places left" in page and "5 hours ago" in page
    assert f'href="/requests/{newer.id}"' in page


def test_filters_and_search(app, viewer, make_user, make_request):
    ann = make_user(email="ann@example.com")
    make_request(ann, "beta-reading", title="Lighthouse fantasy beta read", genre="fantasy")
    make_request(
        ann,
        "query-letters",
        title="My query letter needs polish",
        genre="romance",
        format="live_chat",
        details="A romance about two rival bakers; the query letter feels flat to me.",
    )
    client = signed_in(app, "viewer@example.com")

    def titles(query: str) -> set[str]:
        page = client.get("/requests?" + query).get_data(as_text=True)
        return {t for t in ("Lighthouse fantasy", "My query letter") if t in page}

    assert titles("") == {"Lighthouse fantasy", "My query letter"}
    assert titles("skill=query-letters") == {"My query letter"}
    assert titles("genre=fantasy") == {"Lighthouse fantasy"}
    assert titles("format=live_chat") == {"My query letter"}
    assert titles("q=bakers") == {"My query letter"}
    assert titles("q=lighthouse&genre=romance") == set()
    assert titles("q=%22%29+OR+*") == set()  # search syntax is never interpreted
    # An unknown value (an old bookmark) is dropped rather than refused.
    assert titles("skill=no-such-skill&format=smoke-signals") == {
        "Lighthouse fantasy",
        "My query letter",
    }
    page = client.get("/requests?skill=query-letters").get_data(as_text=True)
    assert '<option selected value="query-letters">' in page
    assert "Clear the filters" in page


def test_pages_newer_and_older(app, viewer, make_user, make_request):
    ann = make_user(email="ann@example.com")
    for number in range(22):
        age(make_request(ann, title=f"Request number {number:02d} here"), 100 - number)
    client = signed_in(app, "viewer@example.com")
    first = client.get("/requests").get_data(as_text=True)
    assert "Request number 21 here" in first and "Request number 01 here" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/requests?page=2").get_data(as_text=True)
    assert "Request number 01 here" in second and "Request number 21 here" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    for page in ("999999999999", "-3", "abc"):
        assert client.get(f"/requests?page={page}").status_code == 200


def test_best_for_me_ranks_with_reasons(app, make_user, make_offer, make_request):
    ann = make_user(email="ann@example.com")
    bob = make_user(email="bob@example.com")
    make_offer(bob, "beta-reading", genres=["fantasy"])
    make_request(ann, "beta-reading", title="Fantasy beta readers wanted")
    make_request(ann, "marketing", title="Help me market my memoir", genre="memoir")
    page = signed_in(app, "bob@example.com").get("/requests?order=best").get_data(as_text=True)
    assert "Fantasy beta readers wanted" in page and "Help me market my memoir" not in page
    assert "Why you: beta reading and fantasy in common" in page
    assert 'aria-current="page">Best for me' in page
    filtered = signed_in(app, "bob@example.com").get("/requests?order=best&genre=romance")
    assert "Fantasy beta readers wanted" not in filtered.get_data(as_text=True)


def test_best_for_me_without_an_offer_says_how(app, viewer):
    page = signed_in(app, "viewer@example.com").get("/requests?order=best").get_data(as_text=True)
    assert "No suggestions for you right now" in page and 'href="/offer"' in page


def test_unverified_members_see_the_board(app, make_user, make_request):
    make_user(email="una@example.com", unverified=True)
    make_request(make_user(email="ann@example.com"), title="Visible to the unverified")
    client = signed_in(app, "una@example.com")
    assert "Visible to the unverified" in client.get("/requests").get_data(as_text=True)


@pytest.mark.parametrize("order", ["newest", "best"])
def test_the_board_runs_a_bounded_number_of_queries(
    app, make_user, make_offer, make_request, count_queries, order
):
    bob = make_user(email="bob@example.com")
    make_offer(bob, "beta-reading", "critique", genres=["fantasy"])
    client = signed_in(app, "bob@example.com")
    counts = []
    made = 0
    for total in (5, 30):
        while made < total:
            requester = make_user(email=f"asker{made}@example.com")
            skills = ("beta-reading", "critique") if made % 2 else ("beta-reading",)
            make_request(requester, *skills, title=f"Request number {made} for help")
            made += 1
        with count_queries() as counter:
            response = client.get(f"/requests?order={order}")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="request-card"') == min(total, 20)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
