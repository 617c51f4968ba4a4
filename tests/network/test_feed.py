"""The home feed: what followed members did, suggestions instead of an empty page,
pages, a query count that does not grow with the people followed, and the
newcomer's walk-through (/start)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from community.db import db, utcnow
from community.helping.models import HelpRequest
from community.network import feed
from community.network.feed import PAGE_SIZE
from community.network.models import Follow
from community.profiles import taxonomy
from tests.builders import add_follows, answer, bulk_members
from tests.factories import PASSWORD
from tests.network.conftest import login


def feed_entries(page_text: str) -> list[str]:
    """The feed's items as text, newest first."""
    match = re.search(r'<ul class="member-list feed">(.*?)\n  </ul>', page_text, re.S)
    if match is None:
        return []
    items = re.findall(
        r'<li class="person">(.*?)</li>\s*(?=<li class="person">|$)', match.group(1), re.S
    )
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


# --- what the feed shows ---------------------------------------------------------------


def test_the_feed_shows_what_followed_members_did(client, make_member, make_request):
    viewer = make_member("Vera Viewer")
    bea, cleo = make_member("Bea Poet"), make_member("Cleo Critic")
    stranger, dev = make_member("Sid Stranger"), make_member("Dev Debut")
    add_follows([(viewer, bea), (viewer, cleo)])

    make_request(bea, title="Beta readers for my verse novel")
    add_follows([(cleo, dev)])
    add_follows([(cleo, viewer)])  # someone following the viewer is not news to them
    make_request(stranger, title="Someone you do not follow")
    add_follows([(stranger, dev)])

    login(client, viewer)
    page = client.get("/feed")
    assert page.status_code == 200
    entries = feed_entries(page.text)
    assert len(entries) == 2
    assert any(
        "Bea Poet asked for help: Beta readers for my verse novel" in entry
        and "Beta reading" in entry
        for entry in entries
    )
    assert any("Cleo Critic started following Dev Debut" in entry for entry in entries)
    assert "Someone you do not follow" not in page.text
    assert "Sid Stranger started following" not in page.text
    assert "started following Vera Viewer" not in page.text


def test_the_feed_is_newest_first_and_leaves_out_closed_requests(client, make_member, make_request):
    viewer, bea = make_member("Vera Viewer"), make_member("Bea Poet")
    dev = make_member("Dev Debut")
    add_follows([(viewer, bea)])
    old = make_request(bea, title="An older request")
    closed = make_request(bea, title="A closed request")
    make_request(bea, title="The newest request")
    add_follows([(bea, dev)], at=utcnow() - timedelta(hours=1))
    db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == old.id)
        .values(created_at=utcnow() - timedelta(hours=2))
    )
    db.session.execute(
        update(HelpRequest).where(HelpRequest.id == closed.id).values(status="closed")
    )
    db.session.commit()

    login(client, viewer)
    entries = feed_entries(client.get("/feed").text)
    assert len(entries) == 3
    assert "asked for help: The newest request" in entries[0]
    assert "Bea Poet started following Dev Debut" in entries[1]
    assert "asked for help: An older request" in entries[2]


def test_the_feed_pages(client, make_member):
    viewer, bea = make_member("Vera Viewer"), make_member("Bea Poet")
    others = bulk_members(PAGE_SIZE + 5)
    add_follows([(viewer, bea)])
    now = utcnow()
    for age, other in enumerate(others):  # others[0] is the newest follow
        add_follows([(bea, other)], at=now - timedelta(minutes=age))
    login(client, viewer)

    first = client.get("/feed").text
    entries = feed_entries(first)
    assert len(entries) == PAGE_SIZE
    assert f"Bea Poet started following {others[0].display_name}" in entries[0]
    assert 'href="/feed?page=2">Older</a>' in first
    assert ">Newer</a>" not in first

    second = client.get("/feed?page=2").text
    entries = feed_entries(second)
    assert len(entries) == 5
    assert f"started following {others[-1].display_name}" in entries[-1]
    assert 'href="/feed?page=1">Newer</a>' in second
    assert ">Older</a>" not in second

    third = client.get("/feed?page=3")
    assert third.status_code == 200
    assert feed_entries(third.text) == []
    assert "Nothing new from the people you follow" in third.text
    assert client.get("/feed?page=0").status_code == 200
    assert client.get("/feed?page=abc").status_code == 200


def test_the_feed_needs_a_login(client):
    for path in ("/feed", "/start"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


# --- suggestions ----------------------------------------------------------------------------


def test_a_member_who_follows_nobody_sees_people_to_meet(client, make_member):
    viewer = make_member(
        "Vera Viewer", genres=["fantasy", "poetry"], wants=["query-letters"], offers=["critique"]
    )
    writer = make_member("Fay Fantasy", genres=["fantasy"])
    helper = make_member("Quin Query", offers=["query-letters", "marketing"])
    wanting = make_member("Cal Critique", wants=["critique"])
    both = make_member("Bo Both", genres=["fantasy", "poetry"], offers=["query-letters"])
    make_member("Nat Nothing", genres=["romance"], offers=["marketing"])
    make_member("Una Unverified", genres=["fantasy"], email_verified_at=None)

    people = feed.people_to_meet(viewer)
    assert [(p.user.display_name, p.score, p.reasons) for p in people] == [
        ("Bo Both", 6, ["also writes fantasy, poetry", "can help with query letters"]),
        ("Quin Query", 2, ["can help with query letters"]),
        ("Fay Fantasy", 2, ["also writes fantasy"]),
        ("Cal Critique", 1, ["would love your critique"]),
    ]
    assert feed.people_to_meet(viewer, limit=2)[1].user.id == helper.id

    login(client, viewer)
    page = client.get("/feed").text
    assert feed_entries(page) == []
    assert "You don't follow anyone yet." in page
    assert "People you might like to meet" in page
    for member in (both, helper, writer, wanting):
        assert member.display_name in page
        assert f'action="/members/{member.id}/follow"' in page
    assert "would love your critique" in page
    assert "Nat Nothing" not in page and "Una Unverified" not in page
    assert 'name="next" value="/feed"' in page

    # Following from the suggestions comes back to the feed, and they are no longer suggested.
    response = client.post(f"/members/{writer.id}/follow", data={"next": "/feed"})
    assert response.headers["Location"] == "/feed"
    page = client.get("/feed").text
    assert "You don't follow anyone yet." not in page
    assert f'action="/members/{writer.id}/follow"' not in page
    assert writer.id not in {p.user.id for p in feed.people_to_meet(viewer)}


def test_no_suggestions_across_a_block(app, make_member, monkeypatch):
    from community import blocks

    viewer = make_member("Vera Viewer", genres=["fantasy"])
    fay, gil = (
        make_member("Fay Fantasy", genres=["fantasy"]),
        make_member("Gil", genres=["fantasy"]),
    )
    assert {p.user.id for p in feed.people_to_meet(viewer)} == {fay.id, gil.id}
    monkeypatch.setattr(blocks, "blocked_with", lambda user_id, other: other == fay.id)
    assert [p.user.id for p in feed.people_to_meet(viewer)] == [gil.id]


def test_no_suggestions_and_no_follows(client, make_member):
    viewer = make_member("Vera Viewer")
    login(client, viewer)
    page = client.get("/feed")
    assert page.status_code == 200
    assert "You don't follow anyone yet." in page.text
    assert "People you might like to meet" not in page.text


# --- the number of queries --------------------------------------------------------------


def _feed_queries(app, viewer, count_queries) -> tuple[int, str]:
    client = app.test_client()
    login(client, viewer)
    client.get("/feed")  # warm up whatever the first page of a session loads
    with count_queries() as counter:
        page = client.get("/feed")
    assert page.status_code == 200
    return counter.count, page.text


def test_the_feed_takes_as_many_queries_for_500_followed_as_for_5(
    app, make_member, make_request, count_queries
):
    members = bulk_members(500, genres=["fantasy"])
    outsiders = bulk_members(3, genres=["fantasy"])
    few = make_member("Few Follows", genres=["fantasy"])
    many = make_member("Many Follows", genres=["fantasy"])
    add_follows([(few, member) for member in members[:5]])
    add_follows([(many, member) for member in members])
    for number, member in enumerate(members[:15]):
        make_request(member, "beta-reading", "critique", title=f"Request number {number}")
    add_follows([(member, outsiders[n % 3]) for n, member in enumerate(members[:15])])
    assert db.session.query(Follow).filter(Follow.follower_id == many.id).count() == 500

    few_count, few_page = _feed_queries(app, few, count_queries)
    many_count, many_page = _feed_queries(app, many, count_queries)

    assert len(feed_entries(few_page)) == 10  # 5 requests, 5 follows
    assert len(feed_entries(many_page)) == PAGE_SIZE
    assert (
        "People you might like to meet" in few_page and "People you might like to meet" in many_page
    )
    assert many_count == few_count, (few_count, many_count)
    assert few_count <= 25, few_count  # today 18: the page, the session, the menu


# --- onboarding -------------------------------------------------------------------------


def steps_done(page_text: str) -> dict[str, bool]:
    found = re.findall(r'<li class="(done)?">\s*<a href="([^"]+)">', page_text)
    return {href: bool(done) for done, href in found}


def test_the_first_steps_flip_to_done_as_the_member_acts(
    client, make_member, make_offer, make_request
):
    newcomer = make_member("Nia Newcomer", stage=None)
    others = bulk_members(3)
    login(client, newcomer)

    def state(path="/start"):
        return steps_done(client.get(path).text)

    assert list(state()) == ["/profile/edit", "/members", "/requests", "/requests/new"]
    assert list(state().values()) == [False, False, False, False]

    newcomer.profile.about = "Poems about the sea."
    db.session.commit()
    assert list(state().values()) == [False, False, False, False]  # genres too
    newcomer.profile.genres = taxonomy.genres_by_slugs(["poetry"])[0]
    db.session.commit()
    assert list(state().values()) == [True, False, False, False]

    add_follows([(newcomer, other) for other in others[:2]])
    assert list(state().values()) == [True, False, False, False]
    add_follows([(newcomer, others[2])])
    assert list(state().values()) == [True, True, False, False]

    make_offer(newcomer, "critique")
    assert list(state().values()) == [True, True, True, False]
    feed_page = client.get("/feed").text
    assert "Getting started (3 of 4 done)" in feed_page
    assert list(steps_done(feed_page).values()) == [True, True, True, False]

    make_request(newcomer)
    assert list(state().values()) == [True, True, True, True]
    assert "Getting started" not in client.get("/feed").text  # all done: out of the way


def test_helping_with_a_request_is_the_help_step(client, make_member, make_request):

    newcomer, asker = make_member("Nia Newcomer"), make_member("Ann Asker")
    request = make_request(asker)
    answer(newcomer, request, "I would love to read it.")
    steps = {step.key: step.done for step in feed.onboarding_steps(newcomer)}
    assert steps["help"] is True and steps["ask"] is False


def test_the_start_page_names_the_steps_and_people_to_meet(client, make_member):
    newcomer = make_member("Nia Newcomer", genres=["poetry"])
    poet = make_member("Pat Poet", genres=["poetry"])
    login(client, newcomer)
    page = client.get("/start")
    assert page.status_code == 200
    assert "Welcome, Nia!" in page.text
    for title in (
        "Tell others about yourself",
        "Follow a few people you have something in common with",
        "Look at open requests you could help with",
        "Ask for the help you need",
    ):
        assert title in page.text
    assert "Pat Poet" in page.text and "also writes poetry" in page.text
    assert f'action="/members/{poet.id}/follow"' in page.text
    assert 'name="next" value="/start"' in page.text


def test_after_confirming_their_email_a_newcomer_lands_on_the_walk_through(
    client, mailbox, make_member
):
    response = client.post(
        "/signup",
        data={"email": "nia@example.com", "display_name": "Nia Newcomer", "password": PASSWORD},
    )
    assert response.status_code == 200
    [message] = mailbox.to("nia@example.com")
    [link] = re.findall(r"http://kindred\.test(/verify/\S+)", mailbox.text(message))

    # Not logged in: confirmed, then to log in, and on to the walk-through.
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/start"
    response = client.post(
        "/login?next=/start", data={"email": "nia@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/start"
    page = client.get("/start")
    assert page.status_code == 200 and "Welcome, Nia!" in page.text


def test_confirming_while_logged_in_goes_straight_to_the_walk_through(client, mailbox):
    client.post(
        "/signup",
        data={"email": "nia@example.com", "display_name": "Nia Newcomer", "password": PASSWORD},
    )
    [message] = mailbox.to("nia@example.com")
    [link] = re.findall(r"http://kindred\.test(/verify/\S+)", mailbox.text(message))
    login_response = client.post("/login", data={"email": "nia@example.com", "password": PASSWORD})
    assert login_response.status_code == 302
    response = client.get(link)
    assert response.headers["Location"] == "/start"
    assert "Welcome, Nia!" in client.get("/start").text
