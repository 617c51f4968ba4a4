"""The rules of profiles in community.profiles.service, called directly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from community.db import db
from community.errors import NotFound
from community.profiles import service
from community.profiles.service import LinkInput, ProfileError

CHANGES = {
    "display_name": "  Maya   Okafor ",
    "about": "I write fantasy.\r\n\r\nI love maps.",
    "stage": "querying",
    "timezone": "Africa/Lagos",
    "genres": ["fantasy", "young-adult"],
    "wanted_skills": ["query-letters", "synopsis"],
    "offered_skills": ["beta-reading", "critique"],
    "links": [LinkInput("Website", "https://maya.example.com/"), LinkInput("", "")],
}


def changes(**overrides):
    return {**CHANGES, **overrides}


# --- single values ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://example.com/", "https://example.com/"),
        ("http://example.com/a?b=c#d", "http://example.com/a?b=c#d"),
        ("HTTPS://Example.com", "HTTPS://Example.com"),
        ("  https://example.com/  ", "https://example.com/"),
        ("www.example.com/books", "https://www.example.com/books"),
        ("//example.com", "https://example.com"),
        ("https://[2001:db8::1]/", "https://[2001:db8::1]/"),
        ("https://bücher.example/", "https://bücher.example/"),
    ],
)
def test_web_addresses_are_accepted(typed, stored):
    assert service.check_link_url(typed) == stored


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "mailto:me@example.com",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "https://",
        "https:///path",
        "https://localhost",
        "https://exa mple.com",
        "https://example.com/\x00",
        "java\tscript:alert(1)",
        "http://[::1",
        "https://example.com:99999/",
        "https://trusted.example@evil.example/",
        "https://<script>.com/",
        "https://example.com/" + "a" * 500,
        "",
    ],
)
def test_other_addresses_are_refused_with_a_message(url):
    with pytest.raises(ProfileError) as caught:
        service.check_link_url(url)
    assert caught.value.field == "url"
    assert str(caught.value)


def test_the_message_for_a_script_link_says_what_to_use():
    with pytest.raises(ProfileError, match=r"https://.*not javascript:"):
        service.check_link_url("javascript:alert(1)")


def test_a_link_without_label_is_named_after_its_site():
    assert service.check_link("", "https://www.example.org/me") == LinkInput(
        "example.org", "https://www.example.org/me"
    )
    assert service.check_link("  ", " ") is None
    with pytest.raises(ProfileError) as caught:
        service.check_link("My site", "")
    assert caught.value.field == "url"
    with pytest.raises(ProfileError) as caught:
        service.check_link("x" * 61, "https://example.com")
    assert caught.value.field == "label"


def test_timezones_are_checked_against_the_tz_database():
    assert service.check_timezone("Europe/London") == "Europe/London"
    assert service.check_timezone(" america/new_york ") == "America/New_York"
    assert service.check_timezone("UTC") == "UTC"
    assert service.check_timezone("") is None
    assert service.check_timezone("Europe/London\x00") == "Europe/London"
    for bad in ("Mars/Olympus_Mons", "localtime", "../../etc/passwd", "Europe/London/Soho"):
        with pytest.raises(ProfileError) as caught:
            service.check_timezone(bad)
        assert caught.value.field == "timezone"
    assert "localtime" not in service.timezone_names()
    assert "Asia/Tokyo" in service.timezone_names()


def test_about_text_is_plain_and_bounded():
    assert service.clean_about("a\r\nb\x00c\x07\n") == "a\nbc"
    assert len(service.clean_about("x" * service.ABOUT_MAX)) == service.ABOUT_MAX
    with pytest.raises(ProfileError) as caught:
        service.clean_about("x" * (service.ABOUT_MAX + 1))
    assert caught.value.field == "about"


def test_local_time_of_a_timezone():
    noon_utc = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    assert service.local_time("Asia/Tokyo", noon_utc).hour == 21
    assert service.local_time(None) is None
    assert service.local_time("Gone/Away") is None


def test_only_web_urls_count_as_renderable():
    assert service.is_web_url("https://example.com")
    assert not service.is_web_url("javascript:alert(1)")
    assert not service.is_web_url("//example.com")
    assert not service.is_web_url("http://[::1")


# --- update_profile ---------------------------------------------------------


def test_update_profile_saves_every_field(app, make_user):
    user = make_user(unverified=True)  # no verified email needed

    profile = service.update_profile(user, **changes())
    db.session.commit()
    db.session.expire_all()

    assert user.display_name == "Maya Okafor"
    assert profile.about == "I write fantasy.\n\nI love maps."
    assert profile.stage == "querying"
    assert profile.stage_label == "Querying agents"
    assert profile.timezone == "Africa/Lagos"
    assert [g.slug for g in profile.genres] == ["fantasy", "young-adult"]
    assert [s.slug for s in profile.wanted_skills] == ["query-letters", "synopsis"]
    assert [s.slug for s in profile.offered_skills] == ["beta-reading", "critique"]
    assert [(link.position, link.label, link.url) for link in profile.links] == [
        (0, "Website", "https://maya.example.com/")
    ]


def test_optional_fields_may_be_cleared(app, make_user):
    user = make_user()
    service.update_profile(user, **changes())
    db.session.commit()

    service.update_profile(
        user,
        **changes(
            about="",
            stage=None,
            timezone="",
            genres=[],
            wanted_skills=[],
            offered_skills=[],
            links=[],
        ),
    )
    db.session.commit()
    db.session.expire_all()
    profile = user.profile
    assert (profile.about, profile.stage, profile.timezone) == ("", None, None)
    assert profile.genres == profile.wanted_skills == profile.offered_skills == []
    assert profile.links == []


def test_links_can_grow_shrink_and_reorder(app, make_user):
    user = make_user()
    three = [LinkInput(f"L{i}", f"https://example.com/{i}") for i in range(3)]
    service.update_profile(user, **changes(links=three))
    db.session.commit()

    service.update_profile(user, **changes(links=[three[2], ("", ""), three[0]]))
    db.session.commit()
    db.session.expire_all()
    assert [(lk.position, lk.label) for lk in user.profile.links] == [(0, "L2"), (1, "L0")]

    five = [LinkInput(f"M{i}", f"https://example.com/m{i}") for i in range(5)]
    service.update_profile(user, **changes(links=five))
    db.session.commit()
    db.session.expire_all()
    assert [lk.label for lk in user.profile.links] == ["M0", "M1", "M2", "M3", "M4"]


def test_at_most_five_links(app, make_user):
    user = make_user()
    six = [LinkInput(f"L{i}", f"https://example.com/{i}") for i in range(6)]
    with pytest.raises(ProfileError) as caught:
        service.update_profile(user, **changes(links=six))
    assert caught.value.field == "links"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"about": "x" * 5001}, "about"),
        ({"stage": "famous"}, "stage"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"genres": ["fantasy", "cookbooks-for-cats"]}, "genres"),
        ({"wanted_skills": ["telepathy"]}, "wants"),
        ({"offered_skills": ["x\x00y"]}, "offers"),
        ({"links": [("ok", "https://example.com"), ("bad", "javascript:alert(1)")]}, "links.1.url"),
    ],
)
def test_a_broken_rule_names_its_field_and_changes_nothing(app, make_user, override, field):
    user = make_user(display_name="Before Name")
    before_about = user.profile.about

    with pytest.raises(ProfileError) as caught:
        service.update_profile(user, **changes(**override))

    assert caught.value.field == field
    assert user.display_name == "Before Name"
    assert user.profile.about == before_about
    assert user.profile.genres == []


def test_control_characters_never_reach_the_database(app, make_user):
    user = make_user()
    service.update_profile(
        user, **changes(display_name="Ann\x00 Lee", about="one\x00two", links=[("a\x00b", "x.io")])
    )
    db.session.commit()
    db.session.expire_all()
    assert user.display_name == "Ann Lee"
    assert user.profile.about == "onetwo"
    assert user.profile.links[0].label == "ab"


# --- who sees a profile ---------------------------------------------------------


class Anonymous:
    is_authenticated = False
    is_admin = False


def test_access_profile_hides_missing_deleted_and_unconfirmed_members(app, make_user):
    from community.db import utcnow

    member = make_user()
    gone = make_user(deleted_at=utcnow())
    unconfirmed = make_user(unverified=True)
    admin = make_user(is_admin=True)

    assert service.access_profile(member.id, Anonymous()) == member
    for user_id in (gone.id, unconfirmed.id, 987654, 0, -1, 2**70):
        with pytest.raises(NotFound):
            service.access_profile(user_id, Anonymous())
    with pytest.raises(NotFound):
        service.access_profile(unconfirmed.id, member)
    assert service.access_profile(unconfirmed.id, unconfirmed) == unconfirmed
    assert service.access_profile(unconfirmed.id, admin) == unconfirmed
