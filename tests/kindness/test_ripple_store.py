"""The ripples state stored per member, through the jobs (both databases):
what the incremental job leaves in the tables is what a rebuild of the acts
gives, generations switch whole, and a missing state is rebuilt by the job."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from community.db import db
from community.kindness import jobs as ripple_jobs
from community.kindness import ripple_store, ripples
from community.kindness.models import (
    CameBack,
    HelpAct,
    MemberRipples,
    RippleActBlock,
    RippleMemberState,
    RippleState,
)
from tests.kindness.test_ripples_engine import contents

START = datetime(2026, 1, 1, tzinfo=UTC)


def add_acts(pairs, first_minute):
    """Acts of help as the service records them (unrecorded), a minute apart
    (two of them in the same minute, so that equal times are exercised)."""
    for index, (helper, helped) in enumerate(pairs):
        minute = first_minute + index - (index % 4 == 1)
        db.session.add(
            HelpAct(helper_id=helper, helped_id=helped, at=START + timedelta(minutes=minute))
        )
    db.session.commit()


def acts_in_the_database():
    return [
        ripples.Act(act.helper_id, act.helped_id, act.at.timestamp(), act.id)
        for act in db.session.scalars(select(HelpAct).order_by(HelpAct.at, HelpAct.id))
    ]


def stored_state():
    db.session.expire_all()
    return ripple_store.stored_whole(db.session.get(RippleState, ripple_store.STATE_ID))


def snapshot():
    db.session.expire_all()
    numbers = {
        row.user_id: (row.helped_directly, row.reached, row.longest_chain, row.came_back, row.tree)
        for row in db.session.scalars(select(MemberRipples))
    }
    events = {
        (event.member_id, event.act_id, str(event.chain), event.notified_at is not None)
        for event in db.session.scalars(select(CameBack))
    }
    return numbers, events


def assert_chains_are_the_engines():
    """Each stored came-back chain (traced by the job through the act log) is
    the one the whole engine finds for that act."""
    whole = ripples.rebuild(acts_in_the_database())
    positions = {event.key: event.position for event in whole.came_back()}
    stored = list(db.session.scalars(select(CameBack)))
    assert {event.act_id for event in stored} == set(positions)
    for event in stored:
        chain = whole.came_back_chain(positions[event.act_id])
        assert [(step["act"], step["helper"], step["helped"]) for step in event.chain] == [
            (act.key, act.helper, act.helped) for act in chain
        ]


def generations():
    return set(db.session.scalars(select(RippleMemberState.generation).distinct()))


def random_pairs(members, count, seed):
    generator = random.Random(seed)
    pairs = []
    while len(pairs) < count:
        helper, helped = generator.sample(members, 2)
        pairs.append((helper, helped))
    return pairs


def act_log():
    state = db.session.get(RippleState, ripple_store.STATE_ID)
    blocks = db.session.scalars(
        select(RippleActBlock.data)
        .where(RippleActBlock.generation == state.generation)
        .order_by(RippleActBlock.block)
    )
    return [act for data in blocks for act in ripples.unpack_acts(data)]


def test_the_incremental_job_stores_what_a_rebuild_of_the_acts_gives(app, make_user, monkeypatch):
    # Blocks of five acts: jobs of twelve append across blocks, and came-back
    # chains are traced through several of them.
    monkeypatch.setattr(ripple_store, "ACT_BLOCK", 5)
    members = [make_user().id for _ in range(8)]
    pairs = random_pairs(members, 60, seed=3)
    minute = 0
    for start in range(0, len(pairs), 12):  # five runs of the job, twelve acts each
        add_acts(pairs[start : start + 12], minute)
        minute += 12
        assert ripple_jobs.record_new_acts() == 12
        assert contents(stored_state()) == contents(ripples.rebuild(acts_in_the_database()))
        assert act_log() == acts_in_the_database()
    assert generations() == {1}
    incremental = snapshot()
    assert len(incremental[1]) > 5, "the history has came-back events"
    assert_chains_are_the_engines()
    assert ripple_jobs.record_new_acts() == 0

    ripple_jobs.rebuild_ripples()
    assert snapshot() == incremental
    assert generations() == {2}  # the rebuild's rows replaced the old generation's
    assert set(db.session.scalars(select(RippleActBlock.generation))) == {2}
    assert act_log() == acts_in_the_database()
    assert db.session.get(RippleState, ripple_store.STATE_ID).generation == 2
    assert contents(stored_state()) == contents(ripples.rebuild(acts_in_the_database()))

    # The incremental job carries on from the rebuild's generation.
    add_acts(random_pairs(members, 10, seed=4), minute)
    ripple_jobs.record_new_acts()
    after = snapshot()
    assert act_log() == acts_in_the_database()
    assert_chains_are_the_engines()
    assert contents(stored_state()) == contents(ripples.rebuild(acts_in_the_database()))
    ripple_jobs.rebuild_ripples()
    assert snapshot() == after


def test_without_a_stored_state_the_job_rebuilds_it_from_the_acts(app, make_user):
    """What happens after the migration that dropped the one-blob state."""
    members = [make_user().id for _ in range(6)]
    add_acts(random_pairs(members, 30, seed=5), 0)
    ripple_jobs.record_new_acts()
    events_before = snapshot()[1]
    db.session.execute(RippleMemberState.__table__.delete())
    db.session.execute(RippleActBlock.__table__.delete())
    db.session.execute(RippleState.__table__.delete())
    db.session.commit()

    add_acts(random_pairs(members, 10, seed=6), 30)
    ripple_jobs.record_new_acts()
    numbers, events = snapshot()
    assert events_before <= events  # told before, not again
    assert all(told for *_, told in events)
    assert contents(stored_state()) == contents(ripples.rebuild(acts_in_the_database()))
    ripple_jobs.rebuild_ripples()
    assert snapshot() == (numbers, events)
    assert (
        db.session.scalar(
            select(func.count()).select_from(HelpAct).where(HelpAct.recorded_at.is_(None))
        )
        == 0
    )


def test_an_act_older_than_the_state_is_recorded_by_a_rebuild(app, make_user):
    ann, raj, cam = (make_user().id for _ in range(3))
    add_acts([(ann, raj), (raj, cam)], 10)
    ripple_jobs.record_new_acts()
    add_acts([(cam, ann)], 0)  # committed late, but older than the acts recorded
    assert ripple_jobs.record_new_acts() == 1
    assert generations() == {2}
    assert contents(stored_state()) == contents(ripples.rebuild(acts_in_the_database()))
