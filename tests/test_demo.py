"""The demo community (``flask seed-demo``, ``make demo``): completed help with
thanks and pledges, and a history where kindness comes back, the host's too."""

from __future__ import annotations

from sqlalchemy import func, select

from community.accounts.models import User
from community.db import db
from community.demo import DEMO_PASSWORD, HOST_EMAIL, seed_demo_community
from community.helping.models import HelpRequest, Match, MatchStatus, RequestStatus
from community.kindness.models import CameBack, HelpAct, MemberRipples, Pledge, Thanks


def count(statement) -> int:
    return db.session.scalar(statement)


def test_the_demo_history_has_thanks_pledges_chains_and_kindness_coming_back(app, client, auth):
    created = seed_demo_community()
    assert created["members"] == 61
    assert created["thanks"] > 0

    completed = count(
        select(func.count(HelpRequest.id)).where(HelpRequest.status == RequestStatus.COMPLETED)
    )
    assert completed >= 5
    # Every completed match was thanked, and every act of help is in the past, dated.
    completed_matches = count(
        select(func.count(Match.id)).where(Match.status == MatchStatus.COMPLETED)
    )
    assert count(select(func.count(Thanks.id)).where(Thanks.match_id.is_not(None))) == (
        completed_matches
    )
    assert count(select(func.count(HelpAct.id))) >= completed_matches + 3
    assert count(select(func.count(Pledge.id))) > 0
    assert count(select(func.count(Pledge.id)).where(Pledge.kept_at.is_not(None))) >= 1
    for pledge in db.session.scalars(select(Pledge).where(Pledge.kept_at.is_not(None))):
        kept_by = db.session.get(HelpAct, pledge.kept_act_id)
        assert kept_by.helper_id == pledge.user_id and kept_by.at > pledge.created_at

    host = db.session.scalar(select(User).where(User.email == HOST_EMAIL))
    events = db.session.scalars(select(CameBack)).all()
    assert len(events) >= 3
    assert any(event.member_id == host.id for event in events)
    for event in events:
        steps = event.chain
        assert steps[0]["helper"] == event.member_id == steps[-1]["helped"]
        assert [step["at"] for step in steps] == sorted(step["at"] for step in steps)
    assert count(select(func.max(MemberRipples.longest_chain))) >= 3
    host_ripples = db.session.get(MemberRipples, host.id)
    assert host_ripples.came_back >= 1 and host_ripples.reached >= 2

    # Running it again adds nothing.
    again = seed_demo_community()
    assert again["members"] == again["requests"] == again["thanks"] == 0
    assert count(select(func.count(CameBack.id))) == len(events)

    assert auth.login(HOST_EMAIL, DEMO_PASSWORD).status_code == 302
    page = client.get(f"/members/{host.id}/ripples")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html
    # The host's came-back chains are shown in names.
    for event in events:
        if event.member_id == host.id:
            for step in event.chain[1:]:
                assert db.session.get(User, step["helper"]).display_name in html
