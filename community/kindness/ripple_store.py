"""The ripples engine's state in the database: a header row and one row per member.

The state of a large community is far too big to load and save whole after
every act (about 700 MB at a million acts, and PostgreSQL refuses a value
over 1 GB). It is kept as the engine's header (:class:`RippleState`, one
small row) and two records per member (:class:`RippleMemberState`: the
members whose help reaches them, and the acts into them with their chain
lengths). The incremental job opens a *partial* state that reads a member's
row the first time the engine looks at them, adds the new acts, and writes
back only the rows they changed: a few members' rows and the header.

Generations: member rows carry the generation of the header that owns them.
A rebuild writes its rows under a new generation, points the header at it
and deletes the old rows, all in its one transaction, so a reader sees one
generation or the other, never a mix. Both jobs hold the ripples lock for
their whole transaction (see :mod:`community.kindness.jobs`), which is also
what makes "update the rows read" safe: nobody else writes them meanwhile.

These functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from community.db import db, utcnow
from community.kindness import ripples
from community.kindness.models import RippleActBlock, RippleMemberState, RippleState

STATE_ID = 1
LOAD_CHUNK = 5_000  # members per query when loading many rows at once
WRITE_CHUNK = 1_000  # rows per statement when a rebuild writes the whole state
UPSERT_CHUNK = 500  # rows per statement when a job writes back what it changed
ACT_BLOCK = 512  # acts per row of the act log (an act rewrites at most 12 kB of it)


@dataclass
class StoredState:
    """An open partial state, and how much its loads read."""

    row: RippleState
    engine: ripples.Ripples = field(init=False)
    added: list[ripples.Act] = field(default_factory=list)  # this job's acts, oldest first
    rows_read: int = 0
    bytes_read: int = 0

    def add_act(self, act: ripples.Act) -> ripples.RippleUpdate:
        """Add the newest act to the engine (see ``Ripples.add_act``)."""
        update = self.engine.add_act(*act)
        self.added.append(act)
        return update

    def earlier_acts(self, position: int) -> Iterator[ripples.Act]:
        """The acts before ``position``, newest first (what
        ``ripples.trace_came_back`` reads): this job's own, then the stored
        act log, a block at a time."""
        stored = self.row.acts
        for index in range(min(position, stored + len(self.added)) - 1, stored - 1, -1):
            yield self.added[index - stored]
        last = min(position, stored)
        if last <= 0:
            return
        result = db.session.execute(
            select(RippleActBlock.block, RippleActBlock.data)
            .where(
                RippleActBlock.generation == self.row.generation,
                RippleActBlock.block <= (last - 1) // ACT_BLOCK,
            )
            .order_by(RippleActBlock.block.desc())
            .execution_options(yield_per=8)
        )
        try:
            for block, data in result:
                self.bytes_read += len(data)
                acts = ripples.unpack_acts(data)
                start = block * ACT_BLOCK
                yield from reversed(acts[: last - start])
        finally:
            result.close()

    def load(self, members: list[int]) -> dict[int, tuple[bytes | None, bytes | None]]:
        found = {}
        for start in range(0, len(members), LOAD_CHUNK):
            chunk = members[start : start + LOAD_CHUNK]
            for member, reach, acts in db.session.execute(
                select(
                    RippleMemberState.member_id, RippleMemberState.reach, RippleMemberState.acts
                ).where(
                    RippleMemberState.generation == self.row.generation,
                    RippleMemberState.member_id.in_(chunk),
                )
            ):
                found[member] = (reach, acts)
                self.bytes_read += len(reach or b"") + len(acts or b"")
        self.rows_read += len(found)
        return found


def open_state(row: RippleState) -> StoredState:
    """The stored state behind ``row`` as a partial engine (nothing read yet
    but the header)."""
    stored = StoredState(row)
    stored.engine = ripples.Ripples.open(row.header, stored.load)
    return stored


def save_changes(stored: StoredState, last_act_id: int) -> int:
    """Write the rows the engine changed, and the header; returns the bytes
    of state written (records and header)."""
    engine, generation = stored.engine, stored.row.generation
    reach_changed, acts_changed = engine.changed_records()
    rows, written = [], 0
    for member in sorted(reach_changed | acts_changed):
        reach, acts = engine.member_records(member)
        # None: unchanged (a stored record never becomes empty: reach sets and
        # acts only grow), kept by the upsert's COALESCE.
        reach = reach if member in reach_changed else None
        acts = acts if member in acts_changed else None
        rows.append({"generation": generation, "member_id": member, "reach": reach, "acts": acts})
        written += len(reach or b"") + len(acts or b"")
    for start in range(0, len(rows), UPSERT_CHUNK):
        _upsert(rows[start : start + UPSERT_CHUNK])
    written += _append_to_log(stored)
    header = engine.header_bytes()
    row = stored.row
    row.header = header
    row.acts = len(engine)
    row.last_act_id = last_act_id
    row.built_at = utcnow()
    engine.forget_changes()
    stored.added = []
    db.session.flush()
    return written + len(header)


def _append_to_log(stored: StoredState) -> int:
    """Add this job's acts to the act log (rewriting the last, partial block);
    returns the bytes written."""
    if not stored.added:
        return 0
    generation, start = stored.row.generation, stored.row.acts
    first_block = start // ACT_BLOCK
    acts: list[ripples.Act] = []
    if start % ACT_BLOCK:
        data = db.session.scalar(
            select(RippleActBlock.data).where(
                RippleActBlock.generation == generation, RippleActBlock.block == first_block
            )
        )
        acts = ripples.unpack_acts(data)
    acts += stored.added
    blocks = [
        {
            "generation": generation,
            "block": first_block + offset // ACT_BLOCK,
            "data": ripples.pack_acts(acts[offset : offset + ACT_BLOCK]),
        }
        for offset in range(0, len(acts), ACT_BLOCK)
    ]
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RippleActBlock)
    statement = statement.on_conflict_do_update(
        index_elements=[RippleActBlock.generation, RippleActBlock.block],
        set_={"data": statement.excluded.data},
    )
    db.session.execute(statement, blocks)
    return sum(len(block["data"]) for block in blocks)


def _upsert(rows: list[dict]) -> None:
    """Insert or update member rows in one statement (SQLite and PostgreSQL
    both have INSERT ... ON CONFLICT); a None value leaves the stored one."""
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        RippleMemberState
    ).values(rows)
    table = RippleMemberState.__table__
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.generation, table.c.member_id],
        set_={
            "reach": func.coalesce(statement.excluded.reach, table.c.reach),
            "acts": func.coalesce(statement.excluded.acts, table.c.acts),
        },
    )
    db.session.execute(statement)


def replace_state(
    row: RippleState | None,
    engine: ripples.Ripples,
    last_act_id: int,
    progress: ripples.Progress | None = None,
) -> RippleState:
    """Store a whole state (a rebuild's) as a new generation, make it the
    current one and delete the rows of any other. ``progress`` is called as
    ``progress("store", members written, members in all)``."""
    generation = row.generation + 1 if row is not None else 1
    members = engine.members()
    # No row of this generation should exist (a rebuild that failed rolled
    # back); if one does, it is not ours to keep.
    db.session.execute(delete(RippleMemberState).where(RippleMemberState.generation == generation))
    db.session.execute(delete(RippleActBlock).where(RippleActBlock.generation == generation))
    _write_log(engine, generation)
    batch: list[dict] = []
    for done, (member, reach, acts) in enumerate(engine.all_member_records(), start=1):
        batch.append({"generation": generation, "member_id": member, "reach": reach, "acts": acts})
        if len(batch) == WRITE_CHUNK:
            db.session.execute(insert(RippleMemberState), batch)
            batch = []
            if progress:
                progress("store", done, len(members))
    if batch:
        db.session.execute(insert(RippleMemberState), batch)
    if progress:
        progress("store", len(members), len(members))
    db.session.execute(delete(RippleMemberState).where(RippleMemberState.generation != generation))
    db.session.execute(delete(RippleActBlock).where(RippleActBlock.generation != generation))
    if row is None:
        row = RippleState(id=STATE_ID)
        db.session.add(row)
    row.generation = generation
    row.header = engine.header_bytes()
    row.acts = len(engine)
    row.last_act_id = last_act_id
    row.built_at = utcnow()
    db.session.flush()
    return row


def _write_log(engine: ripples.Ripples, generation: int) -> None:
    acts = list(engine.acts())
    batch = []
    for start in range(0, len(acts), ACT_BLOCK):
        data = ripples.pack_acts(acts[start : start + ACT_BLOCK])
        batch.append({"generation": generation, "block": start // ACT_BLOCK, "data": data})
        if len(batch) == WRITE_CHUNK // 10:
            db.session.execute(insert(RippleActBlock), batch)
            batch = []
    if batch:
        db.session.execute(insert(RippleActBlock), batch)


def stored_whole(row: RippleState) -> ripples.Ripples:
    """The whole stored state (for tests and checks: it reads every row)."""
    records: Iterable = db.session.execute(
        select(RippleMemberState.member_id, RippleMemberState.reach, RippleMemberState.acts).where(
            RippleMemberState.generation == row.generation
        )
    )
    return ripples.Ripples.from_records(row.header, records)
