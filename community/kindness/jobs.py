"""The ripples jobs: feed acts of help to the engine and store what it finds.

:func:`record_new_acts` runs after each new act (queued by the service): it
loads the engine's state, adds the acts not yet recorded in (at, id) order,
updates the stored numbers of exactly the members whose numbers changed,
stores a :class:`CameBack` per came-back event and tells its member once.
:func:`rebuild_ripples` (daily, and ``flask ripples rebuild``) recomputes
everything from all acts and gives the same numbers; it never notifies.

Both hold the ripples lock for their whole transaction (an advisory lock on
PostgreSQL; SQLite lets one writer at a time, and a job that read a stale
state fails on write rather than saving it), so two runs at once, or twice,
record each act once and notify each event once. Each commits.

The engine's state lives per member (:mod:`community.kindness.ripple_store`):
the incremental job reads the rows of the members an act touches and writes
back those it changed, never the whole state. With no state stored (a new
site, or just after the migration that replaced the old one-blob state) the
job rebuilds it from the acts, which are the source of truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select, text, update

from community import jobs
from community.accounts.models import User
from community.db import db, utcnow
from community.kindness import ripple_store, ripples
from community.kindness.models import CameBack, HelpAct, MemberRipples, RippleState
from community.kindness.wording import describe_chain, people_in, public_names
from community.notifications.service import notify

LOCK_KEY = 50_500_005  # the PostgreSQL advisory lock of the ripples jobs
TREE_DEPTH = 3
TREE_CHILDREN = 12  # children drawn per person; the rest are counted


# --- the lock and the state -------------------------------------------------


def _lock() -> RippleState | None:
    """Take the ripples lock for this transaction; return the stored state row."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    return db.session.scalar(
        select(RippleState).where(RippleState.id == ripple_store.STATE_ID).with_for_update()
    )


def _engine_act(act: HelpAct) -> ripples.Act:
    return ripples.Act(act.helper_id, act.helped_id, act.at.timestamp(), act.id)


def _chain_data(chain: list[ripples.Act]) -> list[dict]:
    return [
        {
            "act": step.key,
            "helper": step.helper,
            "helped": step.helped,
            "at": datetime.fromtimestamp(step.at, tz=UTC).isoformat(),
        }
        for step in chain
    ]


def _traced_chain(stored: ripple_store.StoredState, position: int) -> list[ripples.Act]:
    """The chain of the came-back act at ``position``, traced through the acts
    before it, newest first, read from the stored act log (the partial state
    does not hold them). Same order as the engine's, so the chain a rebuild finds."""
    return ripples.trace_came_back(stored.added[-1], stored.earlier_acts(position))


# --- the incremental job ----------------------------------------------------


@jobs.commits
def record_new_acts() -> int:
    """Add every act of help not yet recorded to the ripples; returns how many.

    Idempotent. An act older than the newest recorded one (two completions
    committed out of order) cannot be added incrementally: the job rebuilds
    instead, and still notifies the events of the acts it had not recorded.
    """
    row = _lock()
    new_acts = list(
        db.session.scalars(
            select(HelpAct).where(HelpAct.recorded_at.is_(None)).order_by(HelpAct.at, HelpAct.id)
        )
    )
    if not new_acts:
        return 0
    if row is None:  # no state stored yet: build it from the acts
        _rebuild(None)
        return len(new_acts)
    stored = ripple_store.open_state(row)
    engine = stored.engine
    newest = engine.newest_time()
    if newest is not None and new_acts[0].at.timestamp() < newest:
        _rebuild(None)
        return len(new_acts)
    engine.load_members({act.helper_id for act in new_acts} | {act.helped_id for act in new_acts})
    changed: set[int] = set()  # every number may have changed
    reached: set[int] = set()  # only the reached count changed
    events: list[CameBack] = []
    now = utcnow()
    for act in new_acts:
        update = stored.add_act(_engine_act(act))
        reached.update(update.newly_reaching)
        changed.update(update.longer_chains)
        changed.update((act.helper_id, act.helped_id))
        if update.came_back is not None:
            events.append(
                CameBack(
                    member_id=act.helped_id,
                    act_id=act.id,
                    chain=_chain_data(_traced_chain(stored, update.position)),
                    created_at=now,
                )
            )
        act.recorded_at = now
    _store_numbers(engine, changed)
    _store_reached(engine, reached - changed)
    _store_trees(_trees_touched_by(new_acts))
    existing = set(
        db.session.scalars(
            select(CameBack.act_id).where(CameBack.act_id.in_([e.act_id for e in events]))
        )
    )
    db.session.add_all(event for event in events if event.act_id not in existing)
    db.session.flush()
    ripple_store.save_changes(stored, max(act.id for act in new_acts))
    _notify_came_back()
    return len(new_acts)


def _store_numbers(engine: ripples.Ripples, members: Iterable[int]) -> None:
    """Write the engine's numbers of ``members`` to MemberRipples."""
    members = set(members)
    if not members:
        return
    rows = {
        row.user_id: row
        for row in db.session.scalars(
            select(MemberRipples).where(MemberRipples.user_id.in_(members))
        )
    }
    now = utcnow()
    for member in members:
        summary = engine.summary(member)
        row = rows.get(member)
        if row is None:
            row = MemberRipples(user_id=member, tree=empty_tree(member))
            db.session.add(row)
        row.helped_directly = summary.helped_directly
        row.reached = summary.reached
        row.longest_chain = summary.longest_chain
        row.came_back = summary.came_back
        row.updated_at = now


def _store_reached(engine: ripples.Ripples, members: set[int]) -> None:
    """Write the reached count of ``members`` (whose other numbers did not
    change), without loading their state: one bulk UPDATE. Those without a
    row yet get one with all their numbers."""
    if not members:
        return
    ordered = sorted(members)
    existing: set[int] = set()
    for start in range(0, len(ordered), ripple_store.LOAD_CHUNK):
        chunk = ordered[start : start + ripple_store.LOAD_CHUNK]
        existing.update(
            db.session.scalars(
                select(MemberRipples.user_id).where(MemberRipples.user_id.in_(chunk))
            )
        )
    now = utcnow()
    values = [
        {"user_id": member, "reached": engine.reached(member), "updated_at": now}
        for member in ordered
        if member in existing
    ]
    if values:
        db.session.execute(update(MemberRipples), values)
    _store_numbers(engine, members - existing)


def _notify_came_back() -> None:
    """Tell each member of a came-back event not yet told, once."""
    events = list(
        db.session.scalars(
            select(CameBack).where(CameBack.notified_at.is_(None)).order_by(CameBack.id)
        )
    )
    if not events:
        return
    member_ids = {event.member_id for event in events}
    members = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(member_ids)))
    }
    ids = set(member_ids)
    for event in events:
        ids |= people_in(event.chain)
    names = public_names(ids)
    now = utcnow()
    for event in events:
        member = members.get(event.member_id)
        event.notified_at = now
        if member is None:
            continue
        notify(
            member,
            "kindness_came_back",
            {
                "user_id": member.id,
                "came_back_id": event.id,
                "chain": describe_chain(event.chain, member.id, names, now),
            },
        )


# --- pictures -----------------------------------------------------------------


def _trees_touched_by(acts: list[HelpAct]) -> set[int]:
    """The members whose picture a new act u -> v at t may change: u, and who
    helped u before t, and who helped those before that (up to 2 steps back)."""
    touched: set[int] = set()
    frontier = {(act.helper_id, act.at) for act in acts}
    for depth in range(TREE_DEPTH):
        touched.update(member for member, _ in frontier)
        if depth == TREE_DEPTH - 1 or not frontier:
            break
        latest: dict[int, datetime] = {}
        for member, at in frontier:
            latest[member] = max(latest.get(member, at), at)
        earlier = db.session.execute(
            select(HelpAct.helper_id, HelpAct.helped_id, HelpAct.at).where(
                HelpAct.helped_id.in_(latest)
            )
        ).all()
        frontier = {(h, at) for h, helped, at in earlier if at < latest[helped]}
    return touched


def _store_trees(members: set[int]) -> None:
    """Compute and store the picture of each of ``members`` (see build_tree)."""
    if not members:
        return
    source = _ActsByHelper()
    rows = {
        row.user_id: row
        for row in db.session.scalars(
            select(MemberRipples).where(MemberRipples.user_id.in_(members))
        )
    }
    for member in members:
        row = rows.get(member)
        if row is None:
            row = MemberRipples(user_id=member)
            db.session.add(row)
        row.tree = build_tree(member, source)


class _ActsByHelper:
    """helper -> [(at, helped)] in (at, id) order, loaded level by level (one
    query per level of a picture)."""

    def __init__(self) -> None:
        self.cache: dict[int, list] = {}

    def load(self, helpers: Iterable[int]) -> None:
        missing = [h for h in set(helpers) if h not in self.cache]
        if not missing:
            return
        for helper in missing:
            self.cache[helper] = []
        for helper, helped, at in db.session.execute(
            select(HelpAct.helper_id, HelpAct.helped_id, HelpAct.at)
            .where(HelpAct.helper_id.in_(missing))
            .order_by(HelpAct.at, HelpAct.id)
        ):
            self.cache[helper].append((at.timestamp(), helped))

    def __call__(self, helper: int) -> list:
        return self.cache.get(helper, [])


def empty_tree(member: int) -> dict:
    return {"id": member, "children": [], "more": 0}


def build_tree(member: int, acts_of: Callable[[int], list]) -> dict:
    """The member's ripple picture: ``{"id", "children": [{"id", "at", "children",
    "more"}...], "more"}``. Level 1: whom the member helped (first time);
    below a person reached at time t, whom they helped after t. Each person
    appears once (where first reached, breadth first); the member is the
    root only; at most TREE_CHILDREN children per person, ``more`` counts the rest."""
    root = empty_tree(member)
    seen = {member}
    level = [(root, float("-inf"))]
    for depth in range(TREE_DEPTH):
        loader = getattr(acts_of, "load", None)
        if loader is not None:
            loader(node["id"] for node, _ in level)
        following = []
        for node, since in level:
            firsts: dict[int, float] = {}
            for at, helped in acts_of(node["id"]):
                if at > since and helped not in seen and helped not in firsts:
                    firsts[helped] = at
            ordered = sorted(firsts.items(), key=lambda item: (item[1], item[0]))
            seen.update(helped for helped, _ in ordered)
            for helped, at in ordered[:TREE_CHILDREN]:
                child = {
                    "id": helped,
                    "at": datetime.fromtimestamp(at, tz=UTC).isoformat(),
                    "children": [],
                    "more": 0,
                }
                node["children"].append(child)
                if depth + 1 < TREE_DEPTH:
                    following.append((child, at))
            node["more"] = max(len(ordered) - TREE_CHILDREN, 0)
        level = following
        if not level:
            break
    return root


# --- the full rebuild ---------------------------------------------------------


@jobs.commits
def rebuild_ripples(progress: ripples.Progress | None = None) -> str:
    """Recompute every member's ripples from all acts. Commits; returns a summary.

    Rewrites MemberRipples, adds the CameBack rows missing, marks every act
    recorded. Events found before were notified then and are not again; only
    the events of acts no job had recorded yet are notified (once). Same
    numbers as the incremental job.
    """
    acts, members, events = _rebuild(progress)
    return f"{acts} acts of help, {members} members, {events} came-back events"


def _rebuild(engine_progress) -> tuple[int, int, int]:
    """The rebuild, under the lock; returns (acts, members, came-back events)."""
    row = _lock()
    all_acts = list(db.session.scalars(select(HelpAct).order_by(HelpAct.at, HelpAct.id)))
    notify_acts = {act.id for act in all_acts if act.recorded_at is None}
    engine = ripples.rebuild([_engine_act(act) for act in all_acts], engine_progress)
    now = utcnow()
    db.session.execute(delete(MemberRipples))
    acts_by_helper: dict[int, list] = {}
    for act in all_acts:
        acts_by_helper.setdefault(act.helper_id, []).append((act.at.timestamp(), act.helped_id))
        if act.recorded_at is None:
            act.recorded_at = now
    members = engine.members()
    for member in members:
        summary = engine.summary(member)
        db.session.add(
            MemberRipples(
                user_id=member,
                helped_directly=summary.helped_directly,
                reached=summary.reached,
                longest_chain=summary.longest_chain,
                came_back=summary.came_back,
                tree=build_tree(member, lambda helper: acts_by_helper.get(helper, [])),
                updated_at=now,
            )
        )
    existing = set(db.session.scalars(select(CameBack.act_id)))
    came_back = engine.came_back()
    for event in came_back:
        if event.key in existing:
            continue
        db.session.add(
            CameBack(
                member_id=event.member,
                act_id=event.key,
                chain=_chain_data(engine.came_back_chain(event.position)),
                created_at=now,
                notified_at=None if event.key in notify_acts else now,
            )
        )
    db.session.flush()
    ripple_store.replace_state(
        row, engine, max((act.id for act in all_acts), default=0), engine_progress
    )
    _notify_came_back()
    return len(all_acts), len(members), len(came_back)
