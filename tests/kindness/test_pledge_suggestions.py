"""Pledges lead somewhere (issue 15, item 4): on the pledge's page at once,
then by one notification a week later while the pledge is open, a few open
requests the member could help with, chosen by the matching engine from
their offer or else their profile's "I can offer", with the reasons; and a
prefilled way to a volunteer offer for a member who has none."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from community import blocking
from community.db import db, utcnow
from community.helping import requests
from community.kindness import pledges, service
from community.kindness.models import Pledge
from community.moderation.models import HiddenItem
from community.notifications.kinds import OFF
from community.notifications.service import set_preference
from community.profiles.models import Skill
from tests.builders import make_offer, make_request, notifications_of, reload
from tests.conftest import Auth

THANKS = "Thank you so much for your careful help!"


def signed_in(app, email: str):
    client = app.test_client()
    assert Auth(client).login(email).status_code == 302
    return client


def can_offer(user, *slugs: str) -> None:
    """``user``'s profile says "I can offer" these skills."""
    user.profile.offered_skills = list(
        db.session.scalars(select(Skill).where(Skill.slug.in_(slugs)))
    )
    db.session.commit()


def pledge_by_thanking(pia, helper) -> Pledge:
    """``pia`` thanks ``helper`` for help outside a match and pledges; committed."""
    thanks = service.thank_outside(pia, helper, THANKS, pledge=True)
    db.session.commit()
    return pledges.pledge_for_thanks(thanks.id)


def made_ago(pledge: Pledge, ago: timedelta) -> None:
    """The pledge was made ``ago`` (time moves by moving the row back)."""
    db.session.execute(
        update(Pledge).where(Pledge.id == pledge.id).values(created_at=utcnow() - ago)
    )
    db.session.commit()


def titles(suggestions) -> list[str]:
    return [suggestion.request.title for suggestion in suggestions]


# --- the pledge's page ------------------------------------------------------------


def test_from_profile_skills_on_the_confirmation_page(app, make_user):
    pia = make_user(email="pia@example.com", display_name="Pia Pledger")
    raj = make_user(display_name="Raj Helper")
    ann, bo = make_user(display_name="Ann Asker"), make_user(display_name="Bo Asker")
    can_offer(pia, "critique")
    make_request(ann, "critique", title="Critique my opening chapter")
    make_request(bo, "beta-reading", title="Beta readers for my saga")
    client = signed_in(app, "pia@example.com")

    response = client.post(f"/members/{raj.id}/thank", data={"body": THANKS, "pledge": "y"})
    pledge = db.session.scalar(select(Pledge))
    assert pledge.user_id == pia.id
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pledges/{pledge.id}"

    page = client.get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "Critique my opening chapter" in page
    assert "critique in common" in page  # the engine's reasons, in words
    assert "Beta readers for my saga" not in page
    # No offer yet: one click to an offer prefilled from the profile's skills.
    assert "/offer?skills=critique" in page
    offer_page = client.get("/offer?skills=critique&skills=no-such-skill")
    assert offer_page.status_code == 200
    checked = re.findall(r'<input checked[^>]*name="skills"[^>]*value="([^"]+)"', offer_page.text)
    assert checked == ["critique"]


def test_from_the_offer_when_there_is_one(app, make_user):
    pia = make_user(email="pia@example.com")
    raj, ann, bo = make_user(), make_user(), make_user()
    can_offer(pia, "critique")
    make_offer(pia, "beta-reading")
    make_request(ann, "critique", title="Critique my opening chapter")
    make_request(bo, "beta-reading", title="Beta readers for my saga")
    pledge = pledge_by_thanking(pia, raj)

    assert titles(pledges.suggestions_for(pia)) == ["Beta readers for my saga"]
    page = signed_in(app, "pia@example.com").get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "Beta readers for my saga" in page and "beta reading" in page
    assert "Critique my opening chapter" not in page
    assert "Set up a volunteer offer" not in page  # they have one


def test_none_when_nothing_fits(app, make_user):
    pia, raj, ann = make_user(email="pia@example.com"), make_user(), make_user()
    can_offer(pia, "marketing")
    make_request(ann, "beta-reading", title="Beta readers for my saga")
    pledge = pledge_by_thanking(pia, raj)

    assert pledges.suggestions_for(pia) == []
    page = signed_in(app, "pia@example.com").get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "No open request fits what you offer right now" in page
    assert "Beta readers for my saga" not in page
    assert "/offer?skills=marketing" in page


def test_never_suggested(app, make_user):
    """Own requests, blocks either way, closed, hidden and unverified
    requesters' requests are never suggested; a fitting one is."""
    pia, raj = make_user(email="pia@example.com"), make_user()
    can_offer(pia, "critique")
    askers = {name: make_user(display_name=f"{name} Asker") for name in "ABCDEF"}
    make_request(pia, "critique", title="My own request")
    make_request(askers["A"], "critique", title="From someone Pia blocked")
    make_request(askers["B"], "critique", title="From someone who blocked Pia")
    closed = make_request(askers["C"], "critique", title="A closed request")
    hidden = make_request(askers["D"], "critique", title="A hidden request")
    make_request(askers["E"], "critique", title="From an unverified member")
    make_request(askers["F"], "critique", title="Critique my opening chapter")
    blocking.block(pia, askers["A"])
    blocking.block(askers["B"], pia)
    requests.close_request(askers["C"], closed)
    db.session.add(HiddenItem(item_type="request", item_id=hidden.id, user_id=askers["D"].id))
    askers["E"].email_verified_at = None
    db.session.commit()
    pledge = pledge_by_thanking(pia, raj)

    assert titles(pledges.suggestions_for(pia)) == ["Critique my opening chapter"]
    page = signed_in(app, "pia@example.com").get(f"/pledges/{pledge.id}").get_data(as_text=True)
    assert "Critique my opening chapter" in page
    for title in (
        "My own request",
        "someone Pia blocked",
        "someone who blocked Pia",
        "A closed request",
        "A hidden request",
        "From an unverified member",
    ):
        assert title not in page


def test_a_pledge_page_is_its_maker_s_alone(app, make_user):
    pia, raj = make_user(), make_user(email="raj@example.com")
    pledge = pledge_by_thanking(pia, raj)
    client = signed_in(app, "raj@example.com")
    assert client.get(f"/pledges/{pledge.id}").status_code == 404
    assert client.get("/pledges/999999").status_code == 404


# --- a week later -------------------------------------------------------------------


def test_the_week_later_nudge_goes_once(app, make_user, mailbox):
    pia = make_user(email="pia@example.com")
    raj, ann = make_user(), make_user()
    can_offer(pia, "critique")
    make_request(ann, "critique", title="Critique my opening chapter")
    pledge = pledge_by_thanking(pia, raj)

    made_ago(pledge, pledges.NUDGE_AFTER - timedelta(hours=1))
    assert pledges.nudge_open_pledges() == 0
    assert notifications_of(pia, "pledge_nudge") == []

    made_ago(pledge, pledges.NUDGE_AFTER + timedelta(hours=1))
    assert pledges.nudge_open_pledges() == 1
    [notice] = notifications_of(pia, "pledge_nudge")
    assert notice.data["pledge_id"] == pledge.id
    assert notice.data["title"] == "Critique my opening chapter"
    assert "critique in common" in notice.data["reasons"]
    [email] = mailbox.to("pia@example.com")[-1:]
    assert f"/pledges/{pledge.id}" in mailbox.text(email)
    assert "Critique my opening chapter" in mailbox.text(email)

    # Once per pledge, however often the job runs.
    assert pledges.nudge_open_pledges() == 0
    assert pledges.nudge_open_pledges(utcnow() + timedelta(days=3)) == 0
    assert len(notifications_of(pia, "pledge_nudge")) == 1
    assert reload(pledge).nudged_at is not None


def test_the_periodic_job_runs_from_the_cli(app, make_user):
    pia, raj, ann = make_user(), make_user(), make_user()
    can_offer(pia, "critique")
    make_request(ann, "critique", title="Critique my opening chapter")
    made_ago(pledge_by_thanking(pia, raj), pledges.NUDGE_AFTER + timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["jobs", "nudge-pledges"])
    assert result.exit_code == 0, result.output
    assert len(notifications_of(pia, "pledge_nudge")) == 1


def test_no_nudge_once_the_pledge_is_kept(app, make_user):
    pia, raj, ann, cy = make_user(), make_user(), make_user(), make_user()
    can_offer(pia, "critique")
    make_request(ann, "critique", title="Critique my opening chapter")
    pledge = pledge_by_thanking(pia, raj)
    made_ago(pledge, pledges.NUDGE_AFTER + timedelta(hours=1))
    # Pia helps Cy (Cy thanks her, she confirms): the pledge is kept.
    thanks = service.thank_outside(cy, pia, "Pia read my whole draft, thank you!")
    service.confirm_thanks(pia, thanks)
    db.session.commit()
    assert reload(pledge).kept_at is not None

    assert pledges.nudge_open_pledges() == 0
    assert notifications_of(pia, "pledge_nudge") == []


def test_no_nudge_when_nothing_fits_and_none_later(app, make_user):
    pia, raj, ann = make_user(), make_user(), make_user()
    can_offer(pia, "critique")
    pledge = pledge_by_thanking(pia, raj)
    made_ago(pledge, pledges.NUDGE_AFTER + timedelta(hours=1))
    assert pledges.nudge_open_pledges() == 0
    assert reload(pledge).nudged_at is not None  # looked at: its one nudge is spent
    make_request(ann, "critique", title="Critique my opening chapter")
    assert pledges.nudge_open_pledges() == 0
    assert notifications_of(pia, "pledge_nudge") == []


def test_the_member_s_preference_is_honoured(app, make_user, mailbox):
    pia = make_user(email="pia@example.com")
    raj, ann = make_user(), make_user()
    can_offer(pia, "critique")
    make_request(ann, "critique", title="Critique my opening chapter")
    set_preference(pia.id, "pledge_nudge", OFF)
    db.session.commit()
    made_ago(pledge_by_thanking(pia, raj), pledges.NUDGE_AFTER + timedelta(hours=1))

    assert pledges.nudge_open_pledges() == 1
    [notice] = notifications_of(pia, "pledge_nudge")  # on the site
    assert notice.delivery == OFF
    assert not any("Critique my opening chapter" in mailbox.text(m) for m in mailbox.messages())
