"""Following: the rules of follow and unfollow, counts and relations, follower
lists a page at a time, and the routes (follow, unfollow, lists, follow back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.accounts import service as accounts
from community.db import db, utcnow
from community.network import follows
from community.network.follows import FOLLOWS_PER_DAY, PAGE_SIZE, NetworkError
from community.network.models import Follow
from community.notifications.models import Notification
from tests.builders import add_follows, bulk_members, notifications_of
from tests.factories import PASSWORD
from tests.network.conftest import login


def follow_rows() -> set[tuple[int, int]]:
    db.session.expire_all()
    return set(db.session.execute(select(Follow.follower_id, Follow.followed_id)).tuples())


def notification_count() -> int:
    return db.session.scalar(select(func.count(Notification.id)))


def refused(follower, followed) -> str:
    """Try to follow; assert that it is refused and changes nothing; return the message."""
    rows, notes = follow_rows(), notification_count()
    with pytest.raises(NetworkError) as error:
        follows.follow(follower, followed)
    db.session.rollback()
    assert follow_rows() == rows
    assert notification_count() == notes
    return str(error.value)


# --- the rules -----------------------------------------------------------------------


def test_follow_makes_the_row_and_tells_the_followed_member(app, make_member, mailbox):
    ann = make_member("Ann Writer")
    bea = make_member("Bea Poet", email="bea@example.com")

    made = follows.follow(ann, bea)
    db.session.commit()

    assert (made.follower_id, made.followed_id) == (ann.id, bea.id)
    assert follow_rows() == {(ann.id, bea.id)}
    [note] = notifications_of(bea, "new_follower")
    assert note.data == {"user_id": ann.id, "name": "Ann Writer", "follows_back": False}
    assert notifications_of(ann) == []
    # Email by default, leading to the follow-back page.
    [message] = mailbox.to("bea@example.com")
    text = mailbox.text(message)
    assert "Ann Writer started following you" in text
    assert f"http://kindred.test/followers/{ann.id}" in text


def test_following_back_says_so_in_the_notification(app, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    follows.follow(ann, bea)
    follows.follow(bea, ann)
    db.session.commit()
    [note] = notifications_of(ann, "new_follower")
    assert note.data["follows_back"] is True
    assert follows.are_connected(ann.id, bea.id) and follows.are_connected(bea.id, ann.id)


def test_email_follows_the_members_choice(app, make_member, mailbox):
    from community.notifications import service

    ann, bea = make_member("Ann Writer"), make_member("Bea Poet", email="bea@example.com")
    service.set_preference(bea.id, "new_follower", "off")
    follows.follow(ann, bea)
    db.session.commit()
    assert len(notifications_of(bea, "new_follower")) == 1
    assert mailbox.to("bea@example.com") == []


def test_following_yourself_is_refused(app, make_member):
    ann = make_member("Ann Writer")
    assert refused(ann, ann) == "You cannot follow yourself."


def test_following_twice_is_refused(app, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    follows.follow(ann, bea)
    db.session.commit()
    assert refused(ann, bea) == "You already follow Bea Poet."
    assert len(notifications_of(bea, "new_follower")) == 1


def test_following_a_deleted_member_is_refused(app, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    accounts.delete_account(bea, PASSWORD)
    db.session.commit()
    assert refused(ann, bea) == "You cannot follow this member."


def test_an_unverified_member_cannot_follow(app, make_member):
    ann = make_member("Ann Writer", email_verified_at=None)
    bea = make_member("Bea Poet")
    assert "confirm your email address" in refused(ann, bea)


def test_following_is_refused_either_way_across_a_block(app, make_member, monkeypatch):
    from community import blocks

    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    blocked = {frozenset((ann.id, bea.id))}
    monkeypatch.setattr(blocks, "is_blocked_between", lambda a, b: frozenset((a, b)) in blocked)
    assert refused(ann, bea) == "You cannot follow this member."
    assert refused(bea, ann) == "You cannot follow this member."
    cleo = make_member("Cleo Critic")
    follows.follow(ann, cleo)  # only the blocked pair is refused
    db.session.commit()


def test_fifty_follows_a_day_then_refused(app, make_member):
    ann = make_member("Ann Writer")
    others = bulk_members(FOLLOWS_PER_DAY + 1)
    add_follows([(ann, other) for other in others[:-2]])  # 49 today
    follows.follow(ann, others[-2])  # the 50th is fine
    db.session.commit()
    assert follows.counts(ann.id)["following"] == FOLLOWS_PER_DAY

    message = refused(ann, others[-1])
    assert f"You have followed {FOLLOWS_PER_DAY} members today" in message
    assert "tomorrow" in message


def test_follows_older_than_a_day_do_not_count_towards_the_limit(app, make_member):
    ann = make_member("Ann Writer")
    others = bulk_members(FOLLOWS_PER_DAY + 1)
    add_follows([(ann, other) for other in others[:-1]], at=utcnow() - timedelta(days=1, minutes=1))
    follows.follow(ann, others[-1])
    db.session.commit()
    assert follows.counts(ann.id)["following"] == FOLLOWS_PER_DAY + 1


def test_unfollow(app, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    follows.follow(ann, bea)
    follows.follow(bea, ann)
    db.session.commit()

    assert follows.unfollow(ann, bea) is True
    db.session.commit()
    assert follow_rows() == {(bea.id, ann.id)}
    assert not follows.are_connected(ann.id, bea.id)
    assert follows.unfollow(ann, bea) is False  # nothing left to end
    # Following again after unfollowing is fine.
    follows.follow(ann, bea)
    db.session.commit()
    assert follows.is_following(ann.id, bea.id)


def test_counts_and_relations(app, make_member):
    ann, bea, cleo, dev = (make_member(name) for name in ("Ann A", "Bea B", "Cleo C", "Dev D"))
    add_follows([(ann, bea), (bea, ann), (ann, cleo), (dev, ann)])

    assert follows.counts(ann.id) == {"followers": 2, "following": 2}
    assert follows.counts(cleo.id) == {"followers": 1, "following": 0}

    assert follows.relation(ann.id, bea.id) == {
        "following": True,
        "follows_you": True,
        "connected": True,
    }
    assert follows.relation(ann.id, cleo.id) == {
        "following": True,
        "follows_you": False,
        "connected": False,
    }
    assert follows.relation(ann.id, dev.id) == {
        "following": False,
        "follows_you": True,
        "connected": False,
    }
    nothing = {"following": False, "follows_you": False, "connected": False}
    assert follows.relation(cleo.id, dev.id) == nothing
    assert follows.relation(ann.id, ann.id) == nothing
    assert follows.relation(None, ann.id) == nothing


def test_follower_and_following_lists_a_page_at_a_time(app, make_member):
    star = make_member("Star Author")
    viewer = make_member("Vera Viewer")
    fans = bulk_members(PAGE_SIZE + 2)
    now = utcnow()
    for age, fan in enumerate(fans):  # fans[0] is the newest follower
        add_follows([(fan, star)], at=now - timedelta(minutes=age))
    add_follows([(viewer, fans[0]), (viewer, fans[-1])])
    add_follows([(star, fan) for fan in fans[:3]])
    gone = fans[1]
    accounts.delete_account(gone, PASSWORD)
    db.session.commit()

    # The deleted member is neither listed nor counted.
    assert follows.counts(star.id) == {"followers": PAGE_SIZE + 1, "following": 2}

    first, more = follows.followers_page(star.id, viewer.id)
    assert more is True and len(first) == PAGE_SIZE
    expected = [fan.id for fan in fans if fan.id != gone.id]
    assert [user.id for user, _ in first] == expected[:PAGE_SIZE]
    assert dict((user.id, flag) for user, flag in first)[fans[0].id] is True
    assert sum(flag for _, flag in first) == 1

    second, more = follows.followers_page(star.id, viewer.id, page=2)
    assert more is False
    assert [(user.id, flag) for user, flag in second] == [(fans[-1].id, True)]
    assert follows.followers_page(star.id, viewer.id, page=3) == ([], False)

    # Without a viewer (or the viewer following nobody listed), no flags.
    anonymous, _ = follows.followers_page(star.id, None)
    assert not any(flag for _, flag in anonymous)

    following, more = follows.following_page(star.id, viewer.id)
    assert more is False
    assert {user.id for user, _ in following} == {fans[0].id, fans[2].id}
    assert dict((user.id, flag) for user, flag in following) == {
        fans[0].id: True,
        fans[2].id: False,
    }


# --- the routes ---------------------------------------------------------------------


def test_following_needs_a_login(client, make_member):
    bea = make_member("Bea Poet")
    for path in (
        f"/members/{bea.id}/follow",
        f"/members/{bea.id}/unfollow",
    ):
        response = client.post(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    for path in (
        f"/members/{bea.id}/followers",
        f"/members/{bea.id}/following",
        f"/followers/{bea.id}",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert follow_rows() == set()


def test_follow_and_unfollow_through_the_site(client, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    login(client, ann)

    response = client.post(f"/members/{bea.id}/follow")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{bea.id}"
    assert follow_rows() == {(ann.id, bea.id)}
    assert "You follow Bea Poet now." in client.get("/feed").text

    response = client.post(f"/members/{bea.id}/follow")
    assert response.status_code == 302
    assert follow_rows() == {(ann.id, bea.id)}
    assert "You already follow Bea Poet." in client.get("/feed").text

    response = client.post(f"/members/{bea.id}/unfollow", data={"next": "/feed"})
    assert response.headers["Location"] == "/feed"
    assert follow_rows() == set()
    assert "You no longer follow Bea Poet." in client.get("/feed").text


def test_following_yourself_through_the_site_says_why(client, make_member):
    ann = make_member("Ann Writer")
    login(client, ann)
    client.post(f"/members/{ann.id}/follow", data={"next": "/feed"})
    assert "You cannot follow yourself." in client.get("/feed").text
    assert follow_rows() == set()


def test_following_a_missing_or_deleted_member_is_not_found(client, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    accounts.delete_account(bea, PASSWORD)
    db.session.commit()
    login(client, ann)
    for member_id in (bea.id, 999_999):
        assert client.post(f"/members/{member_id}/follow").status_code == 404
        assert client.post(f"/members/{member_id}/unfollow").status_code == 404
        assert client.get(f"/members/{member_id}/followers").status_code == 404
        assert client.get(f"/members/{member_id}/following").status_code == 404
        assert client.get(f"/followers/{member_id}").status_code == 404
    assert follow_rows() == set()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
def test_next_only_leads_to_this_site(client, make_member, target):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    login(client, ann)
    response = client.post(f"/members/{bea.id}/follow", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{bea.id}"


def test_next_may_lead_to_a_page_of_this_site(client, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    login(client, ann)
    response = client.post(
        f"/members/{bea.id}/follow", data={"next": f"/members/{bea.id}/followers?page=2"}
    )
    assert response.headers["Location"] == f"/members/{bea.id}/followers?page=2"


def test_the_follower_lists_through_the_site(client, make_member):
    ann, bea, cleo = make_member("Ann Writer"), make_member("Bea Poet"), make_member("Cleo Critic")
    add_follows([(bea, ann), (cleo, ann), (ann, cleo)])
    login(client, bea)

    page = client.get(f"/members/{ann.id}/followers")
    assert page.status_code == 200
    assert "Who follows Ann Writer" in page.text
    assert "Bea Poet" in page.text and "Cleo Critic" in page.text
    # Bea does not follow Cleo: a Follow button; and no button for herself.
    assert f'action="/members/{cleo.id}/follow"' in page.text
    assert f'action="/members/{bea.id}/follow"' not in page.text

    page = client.get(f"/members/{ann.id}/following")
    assert page.status_code == 200
    assert "Who Ann Writer follows" in page.text and "Cleo Critic" in page.text
    assert "Bea Poet</strong>" not in page.text

    dev = make_member("Dev Newcomer")
    assert "Nobody yet." in client.get(f"/members/{dev.id}/following").text
    assert "Nobody yet." in client.get(f"/members/{dev.id}/followers").text


def test_the_follower_list_pages(client, make_member):
    ann = make_member("Ann Writer")
    fans = bulk_members(PAGE_SIZE + 1)
    add_follows([(fan, ann) for fan in fans])
    login(client, ann)
    first = client.get(f"/members/{ann.id}/followers")
    assert f'href="/members/{ann.id}/followers?page=2"' in first.text
    second = client.get(f"/members/{ann.id}/followers?page=2")
    assert second.status_code == 200
    assert second.text.count('class="person"') == 1
    assert client.get(f"/members/{ann.id}/followers?page=-3").status_code == 200
    assert client.get(f"/members/{ann.id}/followers?page=zzz").status_code == 200


def test_the_follow_back_page(client, make_member):
    ann = make_member("Ann Writer", genres=["mystery"], wants=["query-letters"])
    bea = make_member("Bea Poet")
    follows.follow(ann, bea)
    db.session.commit()
    login(client, bea)

    page = client.get(f"/followers/{ann.id}")
    assert page.status_code == 200
    assert "Ann Writer follows you" in page.text
    assert f'action="/members/{ann.id}/follow"' in page.text  # follow back
    assert f'href="/welcome/{ann.id}"' in page.text  # write a welcome
    assert "Mystery" in page.text and "Query letters" in page.text  # their profile beside

    response = client.post(f"/members/{ann.id}/follow", data={"next": f"/followers/{ann.id}"})
    assert response.headers["Location"] == f"/followers/{ann.id}"
    page = client.get(f"/followers/{ann.id}")
    assert "you are connected" in page.text
    assert f'action="/members/{ann.id}/follow"' not in page.text

    # The page of someone who does not follow you: nothing to welcome.
    cleo = make_member("Cleo Critic")
    page = client.get(f"/followers/{cleo.id}")
    assert page.status_code == 200
    assert f'href="/welcome/{cleo.id}"' not in page.text


def test_opening_the_notification_leads_to_the_follow_back_page(client, make_member):
    ann, bea = make_member("Ann Writer"), make_member("Bea Poet")
    follows.follow(ann, bea)
    db.session.commit()
    [note] = notifications_of(bea, "new_follower")
    login(client, bea)
    page = client.get("/notifications/")
    assert "Ann Writer started following you" in page.text
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/followers/{ann.id}"
