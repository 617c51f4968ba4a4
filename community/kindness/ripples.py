"""Ripples: how acts of help travel through the community and come back.

The pure engine of issue 5: no Flask, no database. Jobs feed it acts of help
and store what it returns; pages read the stored results.

Vocabulary
----------
* An **act** is ``helper -> helped at time at`` (:class:`Act`). Member ids are
  ints in ``[0, 2**32)`` (database primary keys); times are epoch seconds, int
  or float (``datetime.timestamp()``), kept as float64, so exact to the
  microsecond for present-day dates. Acts are given in time order
  (non-decreasing ``at``); an act's **position** is its index in that order.
  Nobody helps themselves: such an act is refused (:class:`SelfHelpError`).
* A **chain** (a ripple) is a sequence of acts, each *strictly* later than the
  one before and each starting where the previous one ended: ``A->B at t1``,
  ``B->C at t2 > t1``... Acts with the same time never chain. A chain may pass
  through a member more than once (A->B, B->A, A->C is a chain of 3 acts).
* ``helped_directly(x)``: the number of distinct members x helped.
* ``reached(x)``: the number of distinct members *other than x* at which a
  chain starting with x's help ends. Everyone x helped directly is reached.
* ``longest_chain(x)``: the number of acts of the longest chain starting with
  x's help (0 if x never helped).
* **Came back**: an act ``u -> v at t`` is a came-back event *for v* when some
  chain starting with v's help ends at u with its last act strictly before t:
  v's help travelled to u, and u now helps v. There is one event per such
  act (so a member can have many), including the direct return (v helped u,
  later u helped v: a chain of two acts). Whether kindness came back is
  decided by the acts up to ``t`` only, so it never changes afterwards.
  :meth:`Ripples.came_back_chain` gives the chain to show, from v's help to
  the event; it is the chain that starts with v's *latest* help that came
  back (the most recent ripple), found by :func:`trace_came_back`.

State (what :class:`Ripples` keeps)
-----------------------------------
* per member v, ``reachers(v)``: the members whose help reaches v, as a
  compressed bitmap (pyroaring ``BitMap``). It contains v itself once v's help
  has come back to v at least once.
* the reached counts as a bit-sliced counter: plane k is the bitmap of members
  whose count has bit k set (17 planes cover 100k members). Adding one to the
  count of every member of a bitmap is a few bitmap operations, whatever its
  size (a ripple-carry adder on bitmaps), which is what makes an update cheap
  when an act brings thousands of new reachers.
* per act, ``chain_length(position)``: the length of the longest chain that
  starts with that act; per member the longest chain (the maximum over their
  acts); per member the bitmap of members helped directly; the positions of
  the came-back events.

A new act ``u -> v at t`` (the newest) can only be the last act of a chain:

1. *Reach*: the members added to v's reachers are ``({u} | reachers(u)) -
   reachers(v)``, with ``reachers(u)`` as it was before time t (acts at the
   same time t already processed are subtracted out: the engine remembers what
   each act of the current timestamp added). Their reached counts go up by one
   (v's own, if v is among them, does not: it is a came-back, not a reach).
   It is a came-back event for v if v was among ``reachers(u)`` before t.
2. *Longest chains*: reach sets cannot give lengths, so the engine keeps, per
   act, the length of the longest chain starting with it:
   ``length(a) = 1 + max(length(b) for b by a.helped with b.at > a.at)``.
   The new act has length 1 and it can lengthen exactly the earlier acts into
   u, then the acts into their helpers, and so on backwards. Along the acts
   into one member (in time order) the lengths never increase, so each step
   scans them from the latest earlier one backwards and stops at the first that
   is already long enough: the work is the number of lengths that change
   (about 7 per act over the newest 1% of a synthetic 1M-act history; see
   bench/ripples.py). Members whose longest chain grew are reported. No
   per-pair lengths are stored (per-level bitmaps would cost about one bitmap
   entry per reacher and member, on top of the reach sets).

:func:`rebuild` recomputes the same state from all acts at once:

* a forward sweep (oldest to newest, equal times as one batch against the
  state before the batch) unions each helper's reachers into the helped
  member's and records the came-back events. It produces the reach sets the
  incremental path needs (``reachers`` is the transpose of what a member
  reaches, which a reverse sweep gives, and transposing costs one operation
  per pair), without the incremental path's per-act differences and counts;
* a reverse-time sweep (newest to oldest, again batch by batch) unions what
  each helped member reaches into the helper's set, which gives the reached
  counts (the size of each set), and computes the act lengths by the recurrence
  above. The reverse sets are dropped afterwards.

Both give exactly the state the incremental path builds (the same reach
sets, counts, lengths and events; the tests check it, and check both against
:func:`reference_ripples`, a time-respecting search from every member), and
an incremental update can carry on from a rebuild.

Storage
-------
Per member, which is how the jobs keep it (:mod:`community.kindness.ripple_store`):
:meth:`Ripples.header_bytes` (the act count, the newest time, the current
timestamp's additions, the reached-count planes: small) and, per member,
:meth:`Ripples.member_records`: a *reach* record (their reachers) and an
*acts* record (whom they helped, their longest chain and came-back count,
and the acts into them with each act's position, helper, time, key, chain
length and came-back flag; every act is in its helped member's record).
:meth:`Ripples.open` gives a *partial* state over them that reads a
member's records the first time the engine needs them: adding an act reads
the records of its two members and of the members whose chains it
lengthens, and :meth:`Ripples.changed_records` names the records to write
back. :meth:`Ripples.from_records` reassembles the whole state. Everything
is little-endian arrays and roaring's portable bitmap format.

:meth:`Ripples.to_bytes` / :meth:`Ripples.from_bytes` still give the whole
state as one versioned blob (for tests and benchmarks: at a million acts it
is about 700 MB, too big to load and save per act).
"""

from __future__ import annotations

import itertools
import math
import operator
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pyroaring import BitMap

MAX_MEMBER_ID = 2**32 - 1
PROGRESS_EVERY = 65536  # acts between two calls of a rebuild's progress callback

Progress = Callable[[str, int, int], None]  # (phase, acts done, acts in all)
# members -> {member: (reach record, acts record)} for those that have records
MemberLoader = Callable[[list[int]], dict[int, tuple[bytes | None, bytes | None]]]


class Act(NamedTuple):
    """One act of help: ``helper`` helped ``helped`` at ``at`` (epoch seconds).

    ``key`` is the caller's id for the act (e.g. its row id), -1 if none; the
    engine only carries it through to :class:`CameBack`.
    """

    helper: int
    helped: int
    at: float
    key: int = -1


class RipplesError(ValueError):
    """An act or a request the engine cannot accept."""


class SelfHelpError(RipplesError):
    """An act whose helper is the helped member."""


class OutOfOrderError(RipplesError):
    """An act older than the newest one already added: rebuild instead."""


@dataclass(frozen=True)
class CameBack:
    """Kindness came back to ``member``: the act at ``position`` (key ``key``)
    closed a chain that started with ``member``'s help."""

    position: int
    member: int
    key: int


@dataclass(frozen=True)
class RippleUpdate:
    """What adding one act changed.

    ``newly_reaching``: the members whose help now reaches the helped member
    for the first time (their reached count went up by one); do not modify it.
    ``longer_chains``: member -> new longest chain, for those whose grew.
    """

    position: int
    came_back: CameBack | None
    newly_reaching: BitMap
    longer_chains: dict[int, int]


@dataclass(frozen=True)
class MemberRipples:
    """One member's numbers, as a profile or a ripple page shows them."""

    member: int
    helped_directly: int
    reached: int
    longest_chain: int
    came_back: int


class Ripples:
    """The ripples state of a community, updated one act at a time.

    Start empty and :meth:`add_act` each act in time order, or build it from a
    whole history with :func:`rebuild`; both give the same state.
    """

    def __init__(self) -> None:
        self._helper = array("I")
        self._helped = array("I")
        self._at = array("d")
        self._key = array("q")
        self._length = array("I")  # longest chain starting with each act
        self._came_back = array("I")  # positions of came-back acts
        self._incoming: dict[int, array] = {}  # member -> positions of acts helping them
        self._reachers: dict[int, BitMap] = {}
        self._helped_by: dict[int, BitMap] = {}  # helper -> members helped directly
        self._longest: dict[int, int] = {}
        self._came_back_count: dict[int, int] = {}
        self._planes: list[BitMap] = []  # bit-sliced reached counts
        # The newest timestamp and what each of its acts added to reachers:
        # a later act at the same time must see the state before that time.
        self._batch_at: float | None = None
        self._batch_added: dict[int, BitMap] = {}
        # Only in a partial state (Ripples.open): what is loaded, what changed.
        self._loader: MemberLoader | None = None
        self._loaded: set[int] = set()
        self._events: set[int] = set()  # came-back positions among the loaded acts
        self._changed_reach: set[int] = set()
        self._changed_acts: set[int] = set()

    # -- adding acts ---------------------------------------------------------

    def add_act(self, helper: int, helped: int, at: float, key: int = -1) -> RippleUpdate:
        """Add the newest act of help and return what it changed.

        Raises :class:`SelfHelpError` if ``helper == helped``,
        :class:`OutOfOrderError` if ``at`` is older than the newest act (an act
        at the same time is fine), :class:`RipplesError` for an invalid id or
        time. Nothing changes when it raises.
        """
        self._check_act(helper, helped, at)
        if at != self._batch_at:
            self._batch_at = at
            self._batch_added = {}
        if self._loader is not None:
            self.load_members((helper, helped))
            reach_before = len(self._reachers.get(helped, ()))
        position = self._append_act(helper, helped, at, key)
        came_back, newly = self._add_reach(helper, helped, count=True)
        event = self._record_came_back(position) if came_back else None
        longer = self._lengthen_chains(position)
        if self._loader is not None:
            if len(self._reachers.get(helped, ())) != reach_before:
                self._changed_reach.add(helped)
            self._note_changed_acts((helper, helped, *longer))
        return RippleUpdate(position, event, newly, longer)

    def extend(self, acts: Iterable[Act]) -> list[RippleUpdate]:
        """:meth:`add_act` for each act, in order."""
        return [self.add_act(*act) for act in acts]

    def _check_act(self, helper: int, helped: int, at: float) -> None:
        for member in (helper, helped):
            if not 0 <= member <= MAX_MEMBER_ID:
                raise RipplesError(f"member id out of range: {member!r}")
        if helper == helped:
            raise SelfHelpError(f"member {helper} cannot help themselves")
        if isinstance(at, float) and math.isnan(at):
            raise RipplesError("act time is NaN")
        if self._at and at < self._at[-1]:
            raise OutOfOrderError(f"act at {at} is older than the newest act ({self._at[-1]})")

    def _append_act(self, helper: int, helped: int, at: float, key: int) -> int:
        position = len(self._helper)
        self._helper.append(helper)
        self._helped.append(helped)
        self._at.append(at)
        self._key.append(key)
        self._length.append(1)
        incoming = self._incoming.get(helped)
        if incoming is None:
            self._incoming[helped] = array("I", [position])
        else:
            incoming.append(position)
        helped_set = self._helped_by.get(helper)
        if helped_set is None:
            self._helped_by[helper] = BitMap([helped])
        else:
            helped_set.add(helped)
        return position

    def _reachers_before_batch(self, member: int) -> BitMap | None:
        """``reachers(member)`` as it was before the current timestamp."""
        reachers = self._reachers.get(member)
        added = self._batch_added.get(member)
        if reachers is not None and added is not None:
            return reachers - added
        return reachers

    def _add_reach(self, helper: int, helped: int, *, count: bool) -> tuple[bool, BitMap]:
        """Add ``helper`` and its reachers to ``helped``'s; return (came back,
        the members newly reaching ``helped``, ``helped`` itself left out)."""
        before = self._reachers_before_batch(helper)
        came_back = before is not None and helped in before
        target = self._reachers.get(helped)
        if target is None:
            target = self._reachers[helped] = BitMap()
        new = before - target if before is not None else BitMap()
        if helper not in target:
            new.add(helper)
        if not new:
            return came_back, new
        target |= new
        pending = self._batch_added.get(helped)
        # Never mutate a stored delta: it may be a bitmap handed to a caller.
        self._batch_added[helped] = new if pending is None else pending | new
        if helped in new:
            new = new - BitMap([helped])
        if count:
            self._count(new)
        return came_back, new

    def _count(self, members: BitMap) -> None:
        """Add one to the reached count of every member of ``members``."""
        carry, level, planes = members, 0, self._planes
        while carry:
            if level == len(planes):
                planes.append(BitMap())
            plane = planes[level]
            overflow = plane & carry
            plane ^= carry
            carry = overflow
            level += 1

    def _record_came_back(self, position: int) -> CameBack:
        member = self._helped[position]
        self._came_back.append(position)
        if self._loader is not None:
            self._events.add(position)
        self._came_back_count[member] = self._came_back_count.get(member, 0) + 1
        return CameBack(position, member, self._key[position])

    def _lengthen_chains(self, position: int) -> dict[int, int]:
        """Propagate the new act's length (1) backwards; return the members
        whose longest chain grew, with the new length."""
        longer: dict[int, int] = {}
        helpers, times, lengths, longest = self._helper, self._at, self._length, self._longest
        if longest.get(helpers[position], 0) < 1:
            longest[helpers[position]] = longer[helpers[position]] = 1
        stack = [position]
        while stack:
            later = stack.pop()
            incoming = self._incoming.get(helpers[later])
            if not incoming:
                continue
            length = lengths[later] + 1
            # Acts into the helper, strictly before `later`, latest first: their
            # lengths never increase with time, so stop at the first long enough.
            latest = bisect_left(incoming, times[later], key=times.__getitem__) - 1
            index = latest
            while index >= 0 and lengths[incoming[index]] < length:
                index -= 1
            if index == latest:
                continue
            grown = incoming[index + 1 : latest + 1]
            if self._loader is not None:  # a partial state: read their helpers at once
                self.load_members([helpers[earlier] for earlier in grown])
            for earlier in reversed(grown):
                lengths[earlier] = length
                member = helpers[earlier]
                if longest.get(member, 0) < length:
                    longest[member] = longer[member] = length
                stack.append(earlier)
        return longer

    # -- reading -------------------------------------------------------------

    def __len__(self) -> int:
        """The number of acts."""
        return len(self._helper)

    def newest_time(self) -> float | None:
        """The time of the newest act (None if there is none)."""
        return self._at[len(self._at) - 1] if len(self._at) else None

    def act(self, position: int) -> Act:
        return Act(
            self._helper[position], self._helped[position], self._at[position], self._key[position]
        )

    def acts(self) -> Iterator[Act]:
        return (self.act(position) for position in range(len(self)))

    def members(self) -> list[int]:
        """Every member who helped or was helped, sorted (a whole state only)."""
        self._refuse_partial("members")
        return sorted(self._helped_by.keys() | self._incoming.keys())

    def helped_directly(self, member: int) -> int:
        return len(self._helped_by.get(member, ()))

    def helped_members(self, member: int) -> BitMap:
        """The members ``member`` helped directly (a copy)."""
        return BitMap(self._helped_by.get(member, ()))

    def reached(self, member: int) -> int:
        return sum(1 << level for level, plane in enumerate(self._planes) if member in plane)

    def reached_counts(self) -> dict[int, int]:
        """member -> reached, for every member (0 for those who reach nobody)."""
        counts = dict.fromkeys(self.members(), 0)
        for level, plane in enumerate(self._planes):
            for member in plane:
                counts[member] += 1 << level
        return counts

    def reachers(self, member: int) -> BitMap:
        """The members whose help reaches ``member`` (a copy); it holds
        ``member`` itself once their help has come back to them."""
        return BitMap(self._reachers.get(member, ()))

    def longest_chain(self, member: int) -> int:
        return self._longest.get(member, 0)

    def chain_length(self, position: int) -> int:
        """The number of acts of the longest chain starting with this act."""
        return self._length[position]

    def came_back_count(self, member: int) -> int:
        return self._came_back_count.get(member, 0)

    def came_back(self) -> list[CameBack]:
        """Every came-back event, oldest first (in a partial state: those its
        own :meth:`add_act` calls found)."""
        return [
            CameBack(position, self._helped[position], self._key[position])
            for position in self._came_back
        ]

    def came_back_chain(self, position: int) -> list[Act]:
        """The chain for the came-back event at ``position`` (see
        :func:`trace_came_back`). Raises :class:`RipplesError` if that act is
        not a came-back event. A whole state only: a job holding a partial one
        streams the earlier acts to :func:`trace_came_back` instead."""
        self._refuse_partial("came_back_chain")
        helpers, helped, times = self._helper, self._helped, self._at
        owner, at = helped[position], times[position]
        deadline = {helpers[position]: at}
        onward = {helpers[position]: position}
        for earlier in range(position - 1, -1, -1):
            limit = deadline.get(helped[earlier])
            if limit is None or not times[earlier] < limit or helpers[earlier] in deadline:
                continue
            deadline[helpers[earlier]] = times[earlier]
            onward[helpers[earlier]] = earlier
            if helpers[earlier] == owner:
                chain = [earlier]
                while chain[-1] != position:
                    chain.append(onward[helped[chain[-1]]])
                return [self.act(index) for index in chain]
        raise RipplesError(f"act {position} is not a came-back event")

    def summary(self, member: int) -> MemberRipples:
        return MemberRipples(
            member,
            self.helped_directly(member),
            self.reached(member),
            self.longest_chain(member),
            self.came_back_count(member),
        )

    # -- storage -------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The whole state as one blob (see the module docstring).

        Compacts the bitmaps first (run containers where smaller; in place,
        same members).
        """
        self._refuse_partial("to_bytes")
        batch_at = math.nan if self._batch_at is None else self._batch_at
        parts = [  # each a list of chunks, joined once at the end (the state can be large)
            [_pack_array(self._helper)],
            [_pack_array(self._helped)],
            [_pack_array(self._at)],
            [_pack_array(self._key)],
            [_pack_array(self._length)],
            [_pack_array(self._came_back)],
            _pack_bitmaps(self._reachers),
            _pack_bitmaps(self._helped_by),
            _pack_bitmaps(self._batch_added),
            _pack_counts(self._longest),
            _pack_counts(self._came_back_count),
            _pack_bitmap_list(self._planes),
        ]
        header = struct.pack("<8sdI", _MAGIC, batch_at, len(parts))
        chunks = [header]
        for part in parts:
            chunks.append(struct.pack("<Q", sum(map(len, part))))
            chunks += part
        return b"".join(chunks)

    @classmethod
    def from_bytes(cls, data: bytes) -> Ripples:
        """The state saved by :meth:`to_bytes`."""
        magic, batch_at, count = struct.unpack_from("<8sdI", data)
        if magic != _MAGIC or count != 12:
            raise RipplesError("not a ripples state (or another version)")
        parts, offset = [], struct.calcsize("<8sdI")
        for _ in range(count):
            (size,) = struct.unpack_from("<Q", data, offset)
            offset += 8
            parts.append(memoryview(data)[offset : offset + size])
            offset += size
        state = cls()
        state._helper, state._helped = _unpack_array("I", parts[0]), _unpack_array("I", parts[1])
        state._at, state._key = _unpack_array("d", parts[2]), _unpack_array("q", parts[3])
        state._length, state._came_back = _unpack_array("I", parts[4]), _unpack_array("I", parts[5])
        state._reachers = _unpack_bitmaps(parts[6])
        state._helped_by = _unpack_bitmaps(parts[7])
        state._batch_added = _unpack_bitmaps(parts[8])
        state._longest, state._came_back_count = _unpack_counts(parts[9]), _unpack_counts(parts[10])
        state._planes = _unpack_bitmap_list(parts[11])
        state._batch_at = None if math.isnan(batch_at) else batch_at
        for position, helped in enumerate(state._helped):
            state._incoming.setdefault(helped, array("I")).append(position)
        return state

    # -- storage per member --------------------------------------------------
    #
    # A state too large to load and save whole is kept as one small *header*
    # (the number of acts, the newest time, the current timestamp's additions,
    # the bit-sliced reached counts) and two *records* per member: the reach
    # record (their reachers) and the acts record (whom they helped, their
    # longest chain, and the acts into them with each act's position, helper,
    # time, key, chain length and whether it was a came-back event). Every act
    # is in exactly one acts record (its helped member's), so the records and
    # the header are the whole state.
    #
    # Ripples.open(header, load) gives a *partial* state that loads a member's
    # records the first time the engine looks at them. Adding an act reads
    # the records of its helper and helped member and of the members whose
    # chains it lengthens, nothing else; changed_records() says which records
    # to write back.

    def header_bytes(self) -> bytes:
        """The header of a state stored per member (see :meth:`open`)."""
        batch_at = math.nan if self._batch_at is None else self._batch_at
        newest = self._at[len(self._at) - 1] if len(self._at) else math.nan
        parts = [_pack_bitmaps(self._batch_added), _pack_bitmap_list(self._planes)]
        chunks = [struct.pack("<8sQdd", _HEADER_MAGIC, len(self._helper), newest, batch_at)]
        for part in parts:
            chunks.append(struct.pack("<Q", sum(map(len, part))))
            chunks += part
        return b"".join(chunks)

    def member_records(self, member: int) -> tuple[bytes | None, bytes | None]:
        """``(reach record, acts record)`` of ``member``; None for one with
        nothing in it. In a partial state, of a loaded member only."""
        if self._loader is not None and member not in self._loaded:
            raise RipplesError(f"member {member} is not loaded")
        events = self._events if self._loader is not None else self._event_set()
        return self._reach_record(member), self._acts_record(member, events)

    def all_member_records(self) -> Iterator[tuple[int, bytes | None, bytes | None]]:
        """``(member, reach record, acts record)`` for every member (a whole
        state: what a rebuild stores)."""
        events = self._event_set()
        for member in self.members():
            yield member, self._reach_record(member), self._acts_record(member, events)

    def changed_records(self) -> tuple[set[int], set[int]]:
        """Of a partial state: the members whose reach record and whose acts
        record changed since it was opened (or since :meth:`forget_changes`)."""
        if self._loader is None:
            raise RipplesError("only a partial state tracks its changes")
        self._note_changed_acts(())
        return set(self._changed_reach), set(self._changed_acts)

    def forget_changes(self) -> None:
        self._changed_reach.clear()
        self._changed_acts.clear()

    @classmethod
    def open(cls, header: bytes, load: MemberLoader) -> Ripples:
        """A partial state: ``header`` (from :meth:`header_bytes`), and
        ``load(members)`` returning ``{member: (reach record, acts record)}``
        for those of ``members`` that have records (from :meth:`member_records`),
        called the first time the engine needs them.

        It adds acts and reads numbers like a whole state; :meth:`members`,
        :meth:`came_back_chain` and :meth:`to_bytes` need the whole state and
        raise :class:`RipplesError`.
        """
        magic, count, newest, batch_at = struct.unpack_from("<8sQdd", header)
        if magic != _HEADER_MAGIC:
            raise RipplesError("not a ripples header (or another version)")
        offset, parts = struct.calcsize("<8sQdd"), []
        for _ in range(2):
            (size,) = struct.unpack_from("<Q", header, offset)
            offset += 8
            parts.append(memoryview(header)[offset : offset + size])
            offset += size
        state = cls()
        state._loader = load
        state._helper, state._helped = _Column(count), _Column(count)
        state._at = _Column(count, None if math.isnan(newest) else newest)
        state._key, state._length = _Column(count), _Column(count)
        state._batch_added = _unpack_bitmaps(parts[0])
        state._planes = _unpack_bitmap_list(parts[1])
        state._batch_at = None if math.isnan(batch_at) else batch_at
        on_use = state._load_member
        state._reachers, state._helped_by = _OnUse(on_use), _OnUse(on_use)
        state._incoming, state._longest = _OnUse(on_use), _OnUse(on_use)
        state._came_back_count = _OnUse(on_use)
        return state

    @classmethod
    def from_records(
        cls, header: bytes, records: Iterable[tuple[int, bytes | None, bytes | None]]
    ) -> Ripples:
        """The whole state from its header and every member's records."""
        records = {member: (reach, acts) for member, reach, acts in records}
        partial = cls.open(header, lambda members: {m: records[m] for m in members if m in records})
        partial.load_members(records)
        count = len(partial._helper)
        state = cls()
        state._helper = _full_column("I", partial._helper, count)
        state._helped = _full_column("I", partial._helped, count)
        state._at = _full_column("d", partial._at, count)
        state._key = _full_column("q", partial._key, count)
        state._length = _full_column("I", partial._length, count)
        state._came_back = array("I", sorted(partial._events))
        for name in ("_reachers", "_helped_by", "_incoming", "_longest", "_came_back_count"):
            setattr(state, name, dict(getattr(partial, name)))
        state._batch_at, state._batch_added = partial._batch_at, partial._batch_added
        state._planes = partial._planes
        return state

    def load_members(self, members: Iterable[int]) -> None:
        """Load the records of ``members`` now, in one call of the loader (a
        partial state; a whole state has them all)."""
        if self._loader is None:
            return
        wanted = [member for member in set(members) if member not in self._loaded]
        if not wanted:
            return
        self._loaded.update(wanted)
        records = self._loader(wanted)
        for member, (reach, acts) in records.items():
            if reach:
                dict.__setitem__(self._reachers, member, BitMap.deserialize(bytes(reach)))
            if acts:
                self._unpack_acts_record(member, acts)

    def _load_member(self, member: int) -> None:
        if member not in self._loaded:
            self.load_members((member,))

    def _refuse_partial(self, what: str) -> None:
        if self._loader is not None:
            raise RipplesError(f"{what} needs the whole state, not a partial one")

    def _note_changed_acts(self, members: Iterable[int]) -> None:
        self._changed_acts.update(members)
        changed = self._length.changed
        if changed:
            helped = self._helped
            self._changed_acts.update(helped[position] for position in changed)
            changed.clear()

    def _event_set(self) -> set[int]:
        return set(self._came_back)

    def _reach_record(self, member: int) -> bytes | None:
        reachers = dict.get(self._reachers, member)
        if not reachers:
            return None
        reachers.run_optimize()
        reachers.shrink_to_fit()
        return reachers.serialize()

    def _acts_record(self, member: int, events: set[int]) -> bytes | None:
        helped_by = dict.get(self._helped_by, member)
        incoming = dict.get(self._incoming, member) or array("I")
        if helped_by is None and not incoming:
            return None
        helped_blob = helped_by.serialize() if helped_by is not None else b""
        helpers, times, keys, lengths = self._helper, self._at, self._key, self._length
        flags = bytes(position in events for position in incoming)
        return b"".join(
            [
                struct.pack(
                    "<8sIIQQ",
                    _RECORD_MAGIC,
                    dict.get(self._longest, member, 0),
                    dict.get(self._came_back_count, member, 0),
                    len(incoming),
                    len(helped_blob),
                ),
                helped_blob,
                _pack_array(array("I", incoming)),
                _pack_array(array("I", [helpers[position] for position in incoming])),
                _pack_array(array("d", [times[position] for position in incoming])),
                _pack_array(array("q", [keys[position] for position in incoming])),
                _pack_array(array("I", [lengths[position] for position in incoming])),
                flags,
            ]
        )

    def _unpack_acts_record(self, member: int, data: bytes) -> None:
        magic, longest, came_back, count, helped_size = struct.unpack_from("<8sIIQQ", data)
        if magic != _RECORD_MAGIC:
            raise RipplesError("not a ripples member record (or another version)")
        view, offset = memoryview(data), struct.calcsize("<8sIIQQ")
        if helped_size:
            helped_by = BitMap.deserialize(bytes(view[offset : offset + helped_size]))
            dict.__setitem__(self._helped_by, member, helped_by)
        offset += helped_size
        columns = []
        for typecode, width in (("I", 4), ("I", 4), ("d", 8), ("q", 8), ("I", 4)):
            columns.append(_unpack_array(typecode, view[offset : offset + width * count]))
            offset += width * count
        positions, helpers, times, keys, lengths = columns
        flags = view[offset : offset + count]
        if longest:
            dict.__setitem__(self._longest, member, longest)
        if came_back:
            dict.__setitem__(self._came_back_count, member, came_back)
        if count:
            dict.__setitem__(self._incoming, member, positions)
        for index, position in enumerate(positions):
            self._helper.values[position] = helpers[index]
            self._helped.values[position] = member
            self._at.values[position] = times[index]
            self._key.values[position] = keys[index]
            self._length.values[position] = lengths[index]
            if flags[index]:
                self._events.add(position)


# -- the full rebuild ----------------------------------------------------------


def rebuild(acts: Iterable[Act], progress: Progress | None = None) -> Ripples:
    """The state of a whole history, computed at once (see the module docstring).

    ``acts`` in time order; raises like :meth:`Ripples.add_act`. ``progress``,
    if given, is called as ``progress(phase, done, total)`` now and then, for
    the phases "load", "forward" and "reverse".
    """
    state = Ripples()
    _load(state, acts, progress)
    _sweep_forward(state, progress)
    counts = _sweep_reverse(state, progress)
    state._planes = _planes_from_counts(counts)
    return state


def _load(state: Ripples, acts: Iterable[Act], progress: Progress | None) -> None:
    """Check the whole history (as :meth:`Ripples.add_act` checks one act) and load it."""
    acts = acts if isinstance(acts, Sequence) else list(acts)
    try:
        state._helper = array("I", [act[0] for act in acts])
        state._helped = array("I", [act[1] for act in acts])
    except OverflowError:
        raise RipplesError("member id out of range") from None
    state._at = array("d", [act[2] for act in acts])
    state._key = array("q", [act[3] for act in acts])
    state._length = array("I", bytes(4 * len(acts)))
    helpers, helped, times = state._helper, state._helped, state._at
    if any(map(math.isnan, times)):
        raise RipplesError("act time is NaN")
    if any(map(operator.eq, helpers, helped)):
        raise SelfHelpError("members cannot help themselves")
    if any(map(operator.gt, times, itertools.islice(times, 1, None))):
        raise OutOfOrderError("acts are not in time order")
    incoming, helped_by = state._incoming, state._helped_by
    for position, member in enumerate(helped):
        if member in incoming:
            incoming[member].append(position)
        else:
            incoming[member] = array("I", [position])
    for helper, member in zip(helpers, helped, strict=True):
        if helper in helped_by:
            helped_by[helper].add(member)
        else:
            helped_by[helper] = BitMap([member])
    if progress:
        progress("load", len(acts), len(acts))


def _time_batches(times: Sequence[float], *, reverse: bool = False) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each run of equal times, oldest first or newest first."""
    count = len(times)
    if not reverse:
        start = 0
        while start < count:
            stop, at = start + 1, times[start]
            while stop < count and times[stop] == at:
                stop += 1
            yield start, stop
            start = stop
    else:
        stop = count
        while stop > 0:
            start, at = stop - 1, times[stop - 1]
            while start > 0 and times[start - 1] == at:
                start -= 1
            yield start, stop
            stop = start


def _sweep_forward(state: Ripples, progress: Progress | None) -> None:
    """Reachers and came-back events, oldest act first."""
    helpers, helped, times = state._helper, state._helped, state._at
    reachers, total = state._reachers, len(helpers)
    for start, stop in _time_batches(times):
        if stop == total:  # the newest timestamp: keep what it added, as add_act does
            state._batch_at = times[start]
            for position in range(start, stop):
                came_back, _ = state._add_reach(helpers[position], helped[position], count=False)
                if came_back:
                    state._record_came_back(position)
            break
        frozen = _freeze_batch(reachers, helpers, helped, start, stop) if stop - start > 1 else {}
        for position in range(start, stop):
            helper, member = helpers[position], helped[position]
            source = frozen[helper] if helper in frozen else reachers.get(helper)
            target = reachers.get(member)
            if target is None:
                target = reachers[member] = BitMap()
            if source is not None:
                if member in source:
                    state._record_came_back(position)
                target |= source
            target.add(helper)
        if progress and start // PROGRESS_EVERY != stop // PROGRESS_EVERY:
            progress("forward", stop, total)


def _freeze_batch(
    sets: dict[int, BitMap],
    sources: Sequence[int],
    targets: Sequence[int],
    start: int,
    stop: int,
) -> dict[int, BitMap]:
    """Copies of the sets that acts of one timestamp read and also change, so
    that every act of the batch reads them as they were before the batch."""
    changed = {targets[position] for position in range(start, stop)}
    read = {sources[position] for position in range(start, stop)}
    return {member: BitMap(sets.get(member, ())) for member in read & changed}


def _sweep_reverse(state: Ripples, progress: Progress | None) -> dict[int, int]:
    """Act lengths, longest chains and reached counts, newest act first."""
    helpers, helped, times, lengths = state._helper, state._helped, state._at, state._length
    reach: dict[int, BitMap] = {}  # member -> members reached by chains starting after now
    longest = state._longest  # member -> longest length of their acts seen so far
    total = len(helpers)
    for start, stop in _time_batches(times, reverse=True):
        if stop - start == 1:
            helper, member = helpers[start], helped[start]
            length = lengths[start] = 1 + longest.get(member, 0)
            if longest.get(helper, 0) < length:
                longest[helper] = length
            _reach_into(reach, helper, member, reach.get(member))
        else:
            _reverse_batch(state, reach, start, stop)
        if progress and start // PROGRESS_EVERY != stop // PROGRESS_EVERY:
            progress("reverse", total - start, total)
    return {
        member: len(reach.get(member, ())) - (member in reach.get(member, ()))
        for member in state.members()
    }


def _reverse_batch(state: Ripples, reach: dict[int, BitMap], start: int, stop: int) -> None:
    """One timestamp of the reverse sweep, every act read against the state
    after the timestamp (that is, before it in the sweep)."""
    helpers, helped, lengths, longest = state._helper, state._helped, state._length, state._longest
    found = [(position, 1 + longest.get(helped[position], 0)) for position in range(start, stop)]
    frozen = _freeze_batch(reach, helped, helpers, start, stop)
    for position, length in found:
        helper, member = helpers[position], helped[position]
        lengths[position] = length
        if longest.get(helper, 0) < length:
            longest[helper] = length
        _reach_into(reach, helper, member, frozen.get(member, reach.get(member)))


def _reach_into(reach: dict[int, BitMap], helper: int, member: int, onward: BitMap | None) -> None:
    target = reach.get(helper)
    if target is None:
        target = reach[helper] = BitMap()
    if onward is not None:
        target |= onward
    target.add(member)


def _planes_from_counts(counts: dict[int, int]) -> list[BitMap]:
    width = max(counts.values(), default=0).bit_length()
    planes = [[] for _ in range(width)]
    for member in sorted(counts):
        count = counts[member]
        while count:
            low = count & -count
            planes[low.bit_length() - 1].append(member)
            count ^= low
    return [BitMap(members) for members in planes]


# -- came-back chains ------------------------------------------------------------


def trace_came_back(event: Act, earlier_newest_first: Iterable[Act]) -> list[Act]:
    """The chain from ``event.helped``'s help to ``event``, in time order.

    ``earlier_newest_first``: the acts before ``event``, newest first (a job
    can stream them from the database; acts at ``event``'s time are skipped).
    It stops at the latest act of ``event.helped`` whose ripple reached
    ``event.helper`` before ``event.at``, so it reads only the acts since then.
    Raises :class:`RipplesError` if there is no such chain (not a came-back).
    """
    owner = event.helped
    deadline = {event.helper: event.at}  # member -> leave by (exclusive)
    onward = {event.helper: event}  # member -> the act that carries on from them
    for act in earlier_newest_first:
        limit = deadline.get(act.helped)
        if limit is None or not act.at < limit or act.helper in deadline:
            continue
        deadline[act.helper] = act.at  # newest first: the latest departure wins
        onward[act.helper] = act
        if act.helper == owner:
            chain, member = [act], act.helped
            while chain[-1] is not event:
                chain.append(onward[member])
                member = chain[-1].helped
            return chain
    raise RipplesError(f"no chain from member {owner}'s help comes back through this act")


# -- storage helpers -------------------------------------------------------------


def pack_acts(acts: Sequence[Act]) -> bytes:
    """Acts (a block of the act log) as bytes: helpers, helped, times, keys."""
    return b"".join(
        [
            struct.pack("<Q", len(acts)),
            _pack_array(array("I", [act[0] for act in acts])),
            _pack_array(array("I", [act[1] for act in acts])),
            _pack_array(array("d", [act[2] for act in acts])),
            _pack_array(array("q", [act[3] for act in acts])),
        ]
    )


def unpack_acts(data: bytes) -> list[Act]:
    """The acts of :func:`pack_acts`, in their order."""
    (count,) = struct.unpack_from("<Q", data)
    view, offset, columns = memoryview(data), 8, []
    for typecode, width in (("I", 4), ("I", 4), ("d", 8), ("q", 8)):
        columns.append(_unpack_array(typecode, view[offset : offset + width * count]))
        offset += width * count
    return list(map(Act, *columns))


_MAGIC = b"KRIPPLE1"
_HEADER_MAGIC = b"KRIPHDR1"
_RECORD_MAGIC = b"KRIPMEM1"
_BIG_ENDIAN = sys.byteorder == "big"


def _pack_array(values: array) -> bytes:
    if _BIG_ENDIAN:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _unpack_array(typecode: str, data: memoryview) -> array:
    values = array(typecode)
    values.frombytes(data)
    if _BIG_ENDIAN:
        values.byteswap()
    return values


def _pack_bitmap_list(bitmaps: list[BitMap]) -> list[bytes]:
    for bitmap in bitmaps:  # smaller, in memory and stored
        bitmap.run_optimize()
        bitmap.shrink_to_fit()
    blobs = [bitmap.serialize() for bitmap in bitmaps]
    sizes = array("Q", (len(blob) for blob in blobs))
    return [struct.pack("<Q", len(blobs)), _pack_array(sizes), *blobs]


def _unpack_bitmap_list(data: memoryview) -> list[BitMap]:
    (count,) = struct.unpack_from("<Q", data)
    sizes = _unpack_array("Q", data[8 : 8 + 8 * count])
    bitmaps, offset = [], 8 + 8 * count
    for size in sizes:
        bitmaps.append(BitMap.deserialize(bytes(data[offset : offset + size])))
        offset += size
    return bitmaps


def _pack_bitmaps(bitmaps: dict[int, BitMap]) -> list[bytes]:
    members = sorted(bitmaps)
    packed = _pack_array(array("I", members))
    blobs = _pack_bitmap_list([bitmaps[member] for member in members])
    return [struct.pack("<Q", len(packed)), packed, *blobs]


def _unpack_bitmaps(data: memoryview) -> dict[int, BitMap]:
    (size,) = struct.unpack_from("<Q", data)
    members = _unpack_array("I", data[8 : 8 + size])
    return dict(zip(members, _unpack_bitmap_list(data[8 + size :]), strict=True))


def _pack_counts(counts: dict[int, int]) -> list[bytes]:
    members = sorted(counts)
    return [_pack_array(array("I", members)), _pack_array(array("I", map(counts.get, members)))]


def _unpack_counts(data: memoryview) -> dict[int, int]:
    half = len(data) // 2
    members, values = _unpack_array("I", data[:half]), _unpack_array("I", data[half:])
    return dict(zip(members, values, strict=True))


class _Column:
    """One per-act column of a partial state: the positions loaded so far
    (and the newest act's time, from the header). Remembers which positions
    were written, so that the records holding them are saved."""

    __slots__ = ("changed", "count", "newest", "values")

    def __init__(self, count: int, newest: float | None = None) -> None:
        self.values: dict[int, float] = {}
        self.count = count
        self.newest = newest
        self.changed: set[int] = set()

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, position: int):
        if position < 0:
            position += self.count
        try:
            return self.values[position]
        except KeyError:
            if position == self.count - 1 and self.newest is not None:
                return self.newest
            raise RipplesError(f"act {position} is not loaded") from None

    def __setitem__(self, position: int, value) -> None:
        self.values[position] = value
        self.changed.add(position)

    def append(self, value) -> None:
        self.values[self.count] = value
        self.count += 1
        self.newest = value


class _OnUse(dict):
    """A per-member dict of a partial state that loads a member's records the
    first time it is asked about them (writes go straight in)."""

    __slots__ = ("load",)

    def __init__(self, load: Callable[[int], None]) -> None:
        super().__init__()
        self.load = load

    def get(self, member, default=None):
        self.load(member)
        return dict.get(self, member, default)

    def __getitem__(self, member):
        self.load(member)
        return dict.__getitem__(self, member)

    def __contains__(self, member) -> bool:
        self.load(member)
        return dict.__contains__(self, member)


def _full_column(typecode: str, column: _Column, count: int) -> array:
    values = column.values
    if len(values) != count:
        raise RipplesError("the records do not hold every act")
    return array(typecode, [values[position] for position in range(count)])


# -- the naive reference (tests and benchmarks only) -------------------------------


@dataclass(frozen=True)
class ReferenceRipples:
    """What :func:`reference_ripples` finds, member -> number, for every member."""

    helped_directly: dict[int, int]
    reached: dict[int, int]
    longest_chain: dict[int, int]
    came_back: list[int]  # positions of came-back acts, oldest first


def reach_from(acts: Sequence[Act], source: int) -> dict[int, float]:
    """One single-source time-respecting pass: member -> the earliest time a
    chain starting with ``source``'s help reaches them (``source`` itself:
    ``-inf``). What the benchmarks compare the rebuild with."""
    arrival = {source: -math.inf}
    for helper, helped, at, _ in acts:
        start = arrival.get(helper)
        if start is not None and start < at and helped not in arrival:
            arrival[helped] = at
    return arrival


def longest_from(acts: Sequence[Act], source: int) -> int:
    """The longest chain starting with ``source``'s help, by a forward search
    that keeps, per member, the longest chain from ``source`` ending there."""
    ending = {source: 0}  # member -> longest chain ending there before the batch
    longest = 0
    times = [act.at for act in acts]
    for start, stop in _time_batches(times):
        found = [
            (acts[p].helped, ending[acts[p].helper] + 1)
            for p in range(start, stop)
            if acts[p].helper in ending
        ]
        for member, length in found:
            ending[member] = max(ending.get(member, 0), length)
            longest = max(longest, length)
    return longest


def reference_ripples(acts: Sequence[Act]) -> ReferenceRipples:
    """Everything by a search from every member: O(members x acts), for tests."""
    acts = [Act(*act) for act in acts]
    members = sorted({act.helper for act in acts} | {act.helped for act in acts})
    helped_directly = {member: 0 for member in members}
    for helper, pairs in _group_pairs(acts).items():
        helped_directly[helper] = len(pairs)
    reached, longest, came_back = {}, {}, []
    for member in members:
        arrival = reach_from(acts, member)
        reached[member] = len(arrival) - 1
        longest[member] = longest_from(acts, member)
        came_back += [
            position
            for position, act in enumerate(acts)
            if act.helped == member and arrival.get(act.helper, math.inf) < act.at
        ]
    return ReferenceRipples(helped_directly, reached, longest, sorted(came_back))


def _group_pairs(acts: Sequence[Act]) -> dict[int, set[int]]:
    pairs: dict[int, set[int]] = {}
    for act in acts:
        pairs.setdefault(act.helper, set()).add(act.helped)
    return pairs
