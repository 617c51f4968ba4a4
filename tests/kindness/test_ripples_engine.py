"""The ripples engine on its own: incremental state == full rebuild == naive reference.

No application, no database: ``community.kindness.ripples`` is pure.
"""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from community.kindness.ripples import (
    Act,
    OutOfOrderError,
    Ripples,
    RipplesError,
    SelfHelpError,
    rebuild,
    reference_ripples,
    trace_came_back,
)

ANN, BEA, CAL, DEV = 1, 2, 3, 4

# Few members and few distinct times, so that histories are full of chains,
# returns, repeated pairs and acts at the same time.
act_tuples = st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 7)).filter(
    lambda act: act[0] != act[1]
)
histories = st.lists(act_tuples, max_size=30).map(
    lambda acts: [
        Act(helper, helped, at, key=100 + index)
        for index, (helper, helped, at) in enumerate(sorted(acts, key=lambda act: act[2]))
    ]
)


def incremental(acts: list[Act]) -> Ripples:
    state = Ripples()
    state.extend(acts)
    return state


def contents(state: Ripples) -> dict:
    """Everything a state holds, through its public reading methods."""
    members = state.members()
    return {
        "acts": list(state.acts()),
        "members": members,
        "helped": {member: list(state.helped_members(member)) for member in members},
        "reachers": {member: list(state.reachers(member)) for member in members},
        "reached": state.reached_counts(),
        "longest": {member: state.longest_chain(member) for member in members},
        "lengths": [state.chain_length(position) for position in range(len(state))],
        "came_back": state.came_back(),
    }


def assert_chain_is_valid(state: Ripples, position: int) -> None:
    event = state.act(position)
    chain = state.came_back_chain(position)
    assert chain[0].helper == event.helped, "the chain starts with the member's help"
    assert chain[-1] == event
    for before, after in pairwise(chain):
        assert before.helped == after.helper
        assert before.at < after.at
    earlier = (state.act(index) for index in range(position - 1, -1, -1))
    assert trace_came_back(event, earlier) == chain


def assert_matches_reference(state: Ripples, acts: list[Act]) -> None:
    reference = reference_ripples(acts)
    assert state.members() == sorted(reference.reached)
    for member in reference.reached:
        assert state.helped_directly(member) == reference.helped_directly[member], member
        assert state.reached(member) == reference.reached[member], member
        assert state.longest_chain(member) == reference.longest_chain[member], member
    assert state.reached_counts() == reference.reached
    assert [event.position for event in state.came_back()] == reference.came_back
    for event in state.came_back():
        assert event.member == acts[event.position].helped
        assert event.key == acts[event.position].key
        assert_chain_is_valid(state, event.position)
    owners = [acts[position].helped for position in reference.came_back]
    for member in reference.reached:
        assert state.came_back_count(member) == owners.count(member)


@settings(max_examples=300, deadline=None)
@given(histories)
def test_incremental_equals_rebuild_equals_reference(acts):
    added, rebuilt = incremental(acts), rebuild(acts)
    assert_matches_reference(added, acts)
    assert_matches_reference(rebuilt, acts)
    assert contents(added) == contents(rebuilt)


@settings(max_examples=150, deadline=None)
@given(histories, st.data())
def test_rebuild_then_add_equals_rebuild_of_everything(acts, data):
    """A rebuild can be carried on incrementally, even inside a run of equal times."""
    split = data.draw(st.integers(0, len(acts)))
    state = rebuild(acts[:split])
    state.extend(acts[split:])
    assert contents(state) == contents(rebuild(acts))


@settings(max_examples=100, deadline=None)
@given(histories, st.data())
def test_stored_state_carries_on(acts, data):
    split = data.draw(st.integers(0, len(acts)))
    state = Ripples.from_bytes(incremental(acts[:split]).to_bytes())
    state.extend(acts[split:])
    assert contents(state) == contents(incremental(acts))
    assert_matches_reference(state, acts)


@settings(max_examples=150, deadline=None)
@given(histories)
def test_updates_report_exactly_what_changed(acts):
    state = Ripples()
    reached: dict[int, int] = {}
    longest: dict[int, int] = {}
    events = []
    for act in acts:
        update = state.add_act(*act)
        for member in update.newly_reaching:
            reached[member] = reached.get(member, 0) + 1
        for member, length in update.longer_chains.items():
            assert length > longest.get(member, 0)
            longest[member] = length
        if update.came_back:
            events.append(update.came_back)
    for member in state.members():
        assert reached.get(member, 0) == state.reached(member)
        assert longest.get(member, 0) == state.longest_chain(member)
    assert events == state.came_back()


def test_a_larger_random_history_matches_the_reference():
    generator = random.Random(5)
    acts, at = [], 0
    for index in range(600):
        at += generator.choice((0, 0, 1, 2, 5))
        helper = min(int(generator.paretovariate(1.2)), 60)
        helped = generator.randrange(60)
        if helper != helped:
            acts.append(Act(helper, helped, at, index))
    state = incremental(acts)
    assert_matches_reference(state, acts)
    assert contents(state) == contents(rebuild(acts))
    assert len(state.came_back()) > 10  # the history does exercise came-back chains


# -- readable examples -------------------------------------------------------------


def test_kindness_comes_back_around_three_members():
    state = Ripples()
    state.add_act(ANN, BEA, 10)
    state.add_act(BEA, CAL, 20)
    update = state.add_act(CAL, ANN, 30)
    assert update.came_back is not None
    assert update.came_back.member == ANN
    assert state.came_back_chain(update.position) == [
        Act(ANN, BEA, 10),
        Act(BEA, CAL, 20),
        Act(CAL, ANN, 30),
    ]
    assert state.summary(ANN).came_back == 1
    assert (state.reached(ANN), state.reached(BEA), state.reached(CAL)) == (2, 2, 1)
    assert state.longest_chain(ANN) == 3
    assert state.helped_directly(ANN) == 1
    assert ANN in state.reachers(ANN)  # their help came back to them
    assert state.reached(ANN) == 2  # but they do not count as reaching themselves


def test_acts_at_the_same_time_do_not_chain():
    state = Ripples()
    state.add_act(ANN, BEA, 10)
    state.add_act(BEA, CAL, 10)
    update = state.add_act(CAL, ANN, 10)
    assert update.came_back is None
    assert state.reached(ANN) == 1
    assert state.longest_chain(ANN) == 1
    assert state.came_back() == []


def test_an_act_at_the_same_time_sees_the_state_before_that_time():
    state = Ripples()
    state.add_act(ANN, BEA, 10)
    state.add_act(CAL, ANN, 20)
    update = state.add_act(ANN, DEV, 20)  # Cal's help does not travel on through Ann at 20
    assert set(update.newly_reaching) == {ANN}
    assert set(state.reachers(DEV)) == {ANN}
    assert state.reached(CAL) == 1
    update = state.add_act(ANN, DEV, 21)  # a second time, later: now it does
    assert set(update.newly_reaching) == {CAL}
    assert state.reached(CAL) == 2


def test_direct_return_is_a_came_back_of_two_acts():
    state = Ripples()
    state.add_act(ANN, BEA, 10)
    update = state.add_act(BEA, ANN, 11)
    assert update.came_back.member == ANN
    assert state.came_back_chain(update.position) == [Act(ANN, BEA, 10), Act(BEA, ANN, 11)]
    assert state.longest_chain(ANN) == 2
    assert state.longest_chain(BEA) == 1


def test_a_longest_chain_may_pass_through_a_member_twice():
    state = rebuild([Act(ANN, BEA, 1), Act(BEA, ANN, 2), Act(ANN, CAL, 3), Act(CAL, DEV, 4)])
    assert state.longest_chain(ANN) == 4
    assert state.reached(ANN) == 3
    assert [state.chain_length(position) for position in range(4)] == [4, 3, 2, 1]


def test_a_later_act_lengthens_earlier_chains():
    state = Ripples()
    state.add_act(ANN, BEA, 1)
    state.add_act(BEA, CAL, 2)
    update = state.add_act(CAL, DEV, 3)
    assert update.longer_chains == {ANN: 3, BEA: 2, CAL: 1}
    assert set(update.newly_reaching) == {ANN, BEA, CAL}


def test_repeated_help_between_the_same_pair_counts_once_as_reach():
    state = Ripples()
    state.add_act(ANN, BEA, 1)
    update = state.add_act(ANN, BEA, 2)
    assert set(update.newly_reaching) == set()
    assert state.helped_directly(ANN) == 1
    assert state.reached(ANN) == 1
    assert len(state) == 2


def test_came_back_chain_is_the_latest_ripple_and_can_be_streamed():
    acts = [
        Act(ANN, BEA, 1),
        Act(BEA, CAL, 2),
        Act(ANN, DEV, 3),
        Act(DEV, CAL, 4),
        Act(CAL, ANN, 5, key=99),
    ]
    state = rebuild(acts)
    [event] = state.came_back()
    assert event.key == 99
    # Ann's help reached Cal twice; the chain shown is the latest one.
    expected = [Act(ANN, DEV, 3), Act(DEV, CAL, 4), acts[4]]
    assert state.came_back_chain(event.position) == expected
    assert trace_came_back(acts[4], reversed(acts[:4])) == expected


def test_no_chain_for_an_act_that_is_not_a_came_back():
    state = rebuild([Act(ANN, BEA, 1)])
    with pytest.raises(RipplesError):
        state.came_back_chain(0)


def test_nobody_helps_themselves():
    state = Ripples()
    with pytest.raises(SelfHelpError):
        state.add_act(ANN, ANN, 1)
    with pytest.raises(SelfHelpError):
        rebuild([Act(ANN, BEA, 1), Act(BEA, BEA, 2)])
    assert len(state) == 0


def test_acts_must_arrive_in_time_order():
    state = Ripples()
    state.add_act(ANN, BEA, 10)
    with pytest.raises(OutOfOrderError):
        state.add_act(BEA, CAL, 9)
    with pytest.raises(OutOfOrderError):
        rebuild([Act(ANN, BEA, 10), Act(BEA, CAL, 9)])
    assert len(state) == 1
    assert state.reached(BEA) == 0


@pytest.mark.parametrize("member", [-1, 2**32])
def test_member_ids_are_32_bit(member):
    with pytest.raises(RipplesError):
        Ripples().add_act(member, ANN, 1)


def test_rebuild_reports_progress():
    calls = []
    acts = [Act(index % 7, (index + 1) % 7, index) for index in range(70_000)]
    rebuild(acts, progress=lambda phase, done, total: calls.append(phase))
    assert {"load", "forward", "reverse"} <= set(calls)


def test_empty_history():
    state = rebuild([])
    assert state.members() == []
    assert state.came_back() == []
    assert contents(Ripples.from_bytes(state.to_bytes())) == contents(Ripples())
    assert state.summary(ANN).reached == 0


# -- the state stored per member ----------------------------------------------------


class RecordStore:
    """Header and member records in a dict, as the jobs keep them in a table;
    remembers which members each load asked for."""

    def __init__(self, state: Ripples) -> None:
        self.header = state.header_bytes()
        self.records = {member: (reach, acts) for member, reach, acts in state.all_member_records()}
        self.loads: list[list[int]] = []

    def load(self, members):
        self.loads.append(list(members))
        return {member: self.records[member] for member in members if member in self.records}

    def open(self) -> Ripples:
        self.loads = []
        return Ripples.open(self.header, self.load)

    def save(self, state: Ripples) -> None:
        reach, acts = state.changed_records()
        for member in reach | acts:
            old_reach, old_acts = self.records.get(member, (None, None))
            new_reach, new_acts = state.member_records(member)
            self.records[member] = (
                new_reach if member in reach else old_reach,
                new_acts if member in acts else old_acts,
            )
        self.header = state.header_bytes()

    def whole(self) -> Ripples:
        return Ripples.from_records(
            self.header, ((m, reach, acts) for m, (reach, acts) in self.records.items())
        )


@settings(max_examples=150, deadline=None)
@given(histories, st.data())
def test_a_state_stored_per_member_carries_on_one_act_per_job(acts, data):
    """Each act opens the stored records, loads what it touches, writes back
    only the changed records: the result is the whole incremental state."""
    split = data.draw(st.integers(0, len(acts)))
    store = RecordStore(rebuild(acts[:split]))
    assert contents(store.whole()) == contents(rebuild(acts[:split]))
    whole = incremental(acts[:split])
    for act in acts[split:]:
        partial = store.open()
        update = partial.add_act(*act)
        expected = whole.add_act(*act)
        assert update.came_back == expected.came_back
        assert update.newly_reaching == expected.newly_reaching
        assert update.longer_chains == expected.longer_chains
        for member in {act.helper, act.helped, *update.longer_chains}:
            assert partial.summary(member) == whole.summary(member)
        for member in update.newly_reaching:
            assert partial.reached(member) == whole.reached(member)
        store.save(partial)
    assert contents(store.whole()) == contents(whole)
    assert_matches_reference(store.whole(), acts)


def test_one_act_loads_only_the_members_it_touches():
    # A chain 1 -> 2 -> ... -> 40, then 200 members who help member 1 (too late
    # to chain on), and 100 acts elsewhere.
    acts = [Act(member, member + 1, 1000 + member) for member in range(1, 40)]
    acts += [Act(100 + index, 1, 2000 + index) for index in range(200)]
    acts += [Act(500 + index, 600 + index, 3000 + index) for index in range(100)]
    store = RecordStore(rebuild(acts))
    partial = store.open()
    update = partial.add_act(40, 41, 5000)
    assert set(update.newly_reaching) == set(range(1, 41))
    assert update.longer_chains == {member: 41 - member for member in range(1, 41)}
    # The chain's members are read (their acts' lengths grow), nobody else.
    assert {member for load in store.loads for member in load} == set(range(1, 42))
    reach, acts_changed = partial.changed_records()
    assert reach == {41}
    assert acts_changed == set(range(1, 42))
    assert partial.reached(1) == 40 and partial.reached(100) == 1
    store.save(partial)
    assert contents(store.whole()) == contents(rebuild([*acts, Act(40, 41, 5000)]))


def test_a_partial_state_refuses_what_needs_the_whole():
    store = RecordStore(rebuild([Act(ANN, BEA, 1), Act(BEA, ANN, 2)]))
    partial = store.open()
    for call in (partial.members, partial.to_bytes, lambda: partial.came_back_chain(1)):
        with pytest.raises(RipplesError):
            call()
    with pytest.raises(OutOfOrderError):
        partial.add_act(CAL, ANN, 1)
    assert store.loads == []  # refused before loading anything
    with pytest.raises(RipplesError):
        Ripples.open(b"not a header" + bytes(40), store.load)
