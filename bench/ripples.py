"""The ripples engine on a synthetic history: full rebuild, incremental updates,
memory and storage, against one single-source pass.

    .venv/bin/python bench/ripples.py                          # 100k members, 1M acts
    .venv/bin/python bench/ripples.py --members 10k --acts 100k

No database and no application: ``community.kindness.ripples`` is pure, so
this times the engine alone. The history (``synthetic_history``) has the shape
of a community that grew over two years: members join over the first 90% of
it (2% founders on day one, ids in joining order), half of them ever volunteer,
with a log-normal appetite for helping (most help a few times, a few help
hundreds or thousands of times: a heavy, Zipf-like tail), anybody can be
helped (log-normal too, flatter); times are whole seconds, so some acts share
a second. In one run it measures:

* one single-source time-respecting pass over all acts
  (``ripples.reach_from``, from the member who helped first: the widest
  ripple), the median of ``--single-repeat``; the naive way is one such pass per
  member, which is only extrapolated here;
* the full rebuild (``ripples.rebuild``) of every act, and its ratio to the
  single pass (target: at most 15);
* the rebuild of all but the newest ``--newest`` share (1%), then those acts
  added one by one (``Ripples.add_act``): their total against the full
  rebuild (target: at most 5%), the p50/p99/max of one update, and a check that
  the result equals the full rebuild (counts, longest chains, came-back events);
* the chain shown for came-back events among the newest acts
  (``Ripples.came_back_chain``): p50/p99 time and length;
* memory: the process's resident memory held by the state (RSS after, minus
  before, with the history loaded) and the peak during the rebuild, and the
  bitmaps' own bytes; storage: ``to_bytes`` size, save and load times (the
  one-blob state of round 1, the baseline of the next point);
* the state stored per member, on each database of ``--engines`` (SQLite and
  PostgreSQL: ``kindred_bench_ripples``, recreated): the rebuild of all but
  the newest share stored as the rebuild job stores it, then each of the
  newest acts (``--store-acts`` of them, all by default) as the incremental
  job handles the state, one transaction each: lock the header row, open the
  partial state, add the act (reading the rows it touches), write back the
  rows it changed and the header, commit. Per act: time (p50/p99/max), bytes
  of state written and read, rows read, and how many members' reached count
  changed (the MemberRipples rows the job then updates). At the end the
  stored state, read back whole, must equal the full rebuild.

Prints a table and writes bench/results/ripples.json.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import math
import random
import statistics
import time

from common import PG_SERVER, RESULTS, fmt_seconds, machine, parse_size, save_results, size_label

from community.kindness import ripples
from community.kindness.ripples import Act, Ripples

TWO_YEARS = 2 * 365 * 86400


def synthetic_history(members: int, acts: int, seed: int) -> list[Act]:
    """``acts`` acts of help among ``members`` members, in time order (see the
    module docstring for the shape); the same arguments give the same history."""
    rng = random.Random(seed)
    founders = max(2, members // 50)
    joined = sorted(0 if m < founders else rng.uniform(0, 0.9 * TWO_YEARS) for m in range(members))
    helping = [math.exp(rng.gauss(0, 1.6)) if rng.random() < 0.5 else 0.0 for _ in joined]
    helping[0] = helping[0] or 1.0  # someone helps on day one
    asking = [math.exp(rng.gauss(0, 1.0)) for _ in joined]
    helping_sums = list(itertools.accumulate(helping))
    asking_sums = list(itertools.accumulate(asking))
    history, present = [], founders
    for position, at in enumerate(sorted(rng.randrange(TWO_YEARS) for _ in range(acts))):
        while present < members and joined[present] <= at:
            present += 1
        helper = _draw(rng, helping_sums, present)
        helped = _draw(rng, asking_sums, present)
        while helped == helper:
            helped = _draw(rng, asking_sums, present)
        history.append(Act(helper, helped, at, position))
    return history


def _draw(rng: random.Random, sums: list[float], present: int) -> int:
    """A member among the first ``present``, with the weights whose running sums are ``sums``."""
    return bisect.bisect_right(sums, rng.random() * sums[present - 1], 0, present - 1)


def rss() -> dict[str, int]:
    """The process's resident memory now and at its peak, in bytes."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux, writing 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def bitmap_bytes(state: Ripples) -> int:
    """What the state's bitmaps hold in their containers (CRoaring's own count)."""
    total = 0
    bitmaps = itertools.chain(state._reachers.values(), state._helped_by.values(), state._planes)
    for bitmap in bitmaps:
        stats = bitmap.get_statistics()
        total += sum(stats[f"n_bytes_{kind}_containers"] for kind in ("array", "run", "bitset"))
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def numbers(state: Ripples) -> tuple:
    """What must agree between the incremental path and the rebuild."""
    members = state.members()
    return (
        state.reached_counts(),
        [state.longest_chain(member) for member in members],
        [state.helped_directly(member) for member in members],
        [event.position for event in state.came_back()],
    )


def shape(history: list[Act], state: Ripples) -> dict:
    per_helper: dict[int, int] = {}
    for act in history:
        per_helper[act.helper] = per_helper.get(act.helper, 0) + 1
    counts = sorted(per_helper.values())
    reached = state.reached_counts()
    distinct_times = len({act.at for act in history})
    return {
        "members_in_acts": len(state.members()),
        "helpers": len(counts),
        "acts_per_helper_median": statistics.median(counts),
        "acts_per_helper_p99": percentile(counts, 0.99),
        "acts_top_helper": counts[-1],
        "acts_sharing_a_second": len(history) - distinct_times,
        "reached_mean": sum(reached.values()) / len(reached),
        "reached_max": max(reached.values()),
        "reach_pairs": sum(reached.values()),
        "longest_chain_max": max(state.longest_chain(m) for m in state.members()),
        "came_back_events": len(state.came_back()),
    }


def measure(history: list[Act], members: int, seed: int, newest: float, single_repeat: int) -> dict:
    gc.collect()
    source = history[0].helper
    single = []
    for _ in range(single_repeat):
        begin = time.perf_counter()
        reached_by_source = len(ripples.reach_from(history, source)) - 1
        single.append(time.perf_counter() - begin)
    single_median = statistics.median(single)
    print(f"single-source pass: {fmt_seconds(single_median)}", flush=True)

    gc.collect()
    before = rss()["VmRSS"]
    reset_peak()
    begin = time.perf_counter()
    full = ripples.rebuild(history)
    rebuild_seconds = time.perf_counter() - begin
    gc.collect()
    after = rss()
    print(f"full rebuild: {fmt_seconds(rebuild_seconds)}", flush=True)
    memory = {
        "state_rss_bytes": after["VmRSS"] - before,
        "rebuild_peak_rss_bytes": after["VmHWM"] - before,
        "bitmap_bytes": bitmap_bytes(full),
    }
    history_shape = shape(history, full)
    expected = numbers(full)
    EXPECTED_FULL[:] = [expected]
    begin = time.perf_counter()
    blob = full.to_bytes()
    save_seconds = time.perf_counter() - begin
    del full
    gc.collect()
    begin = time.perf_counter()
    loaded = Ripples.from_bytes(blob)
    load_seconds = time.perf_counter() - begin
    storage = {"bytes": len(blob), "save_seconds": save_seconds, "load_seconds": load_seconds}
    del loaded, blob
    gc.collect()

    cut = len(history) - max(1, round(newest * len(history)))
    begin = time.perf_counter()
    state = ripples.rebuild(history[:cut])
    partial_rebuild_seconds = time.perf_counter() - begin
    print(f"rebuild of the oldest {cut:,}: {fmt_seconds(partial_rebuild_seconds)}", flush=True)
    updates = []
    events = []
    for act in history[cut:]:
        begin = time.perf_counter()
        update = state.add_act(*act)
        updates.append(time.perf_counter() - begin)
        if update.came_back:
            events.append(update.came_back.position)
    incremental_seconds = sum(updates)
    same = numbers(state) == expected
    print(f"newest {len(updates):,} added: {fmt_seconds(incremental_seconds)}", flush=True)

    chain_times, chain_lengths = [], []
    for position in events[:: max(1, len(events) // 200)]:
        begin = time.perf_counter()
        chain = state.came_back_chain(position)
        chain_times.append(time.perf_counter() - begin)
        chain_lengths.append(len(chain))

    return {
        "members": members,
        "acts": len(history),
        "seed": seed,
        "shape": history_shape,
        "single_pass_seconds": single,
        "single_pass_median": single_median,
        "single_pass_reached": reached_by_source,
        "naive_estimate_seconds": single_median * history_shape["members_in_acts"],
        "rebuild_seconds": rebuild_seconds,
        "rebuild_over_single": rebuild_seconds / single_median,
        "partial_rebuild_seconds": partial_rebuild_seconds,
        "newest_acts": len(updates),
        "incremental_seconds": incremental_seconds,
        "incremental_over_rebuild": incremental_seconds / rebuild_seconds,
        "update_p50": percentile(updates, 0.5),
        "update_p99": percentile(updates, 0.99),
        "update_max": max(updates),
        "incremental_equals_rebuild": same,
        "came_back_in_newest": len(events),
        "chain_p50": percentile(chain_times, 0.5) if chain_times else None,
        "chain_p99": percentile(chain_times, 0.99) if chain_times else None,
        "chain_length_median": statistics.median(chain_lengths) if chain_lengths else None,
        "memory": memory,
        "storage": storage,
    }


def store_url(engine: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{RESULTS / 'bench-ripples.sqlite3'}"
    return f"{PG_SERVER}/kindred_bench_ripples"


def measure_store(history: list[Act], newest: float, engines: list[str], store_acts: int) -> dict:
    """The per-member state on each database: store a rebuild, then add the
    newest acts one job-like transaction each (see the module docstring)."""
    from common import make_app
    from flask_migrate import upgrade
    from seed import recreate
    from sqlalchemy import func, select

    from community.db import db
    from community.kindness import ripple_store
    from community.kindness.models import RippleMemberState, RippleState

    cut = len(history) - max(1, round(newest * len(history)))
    stop = len(history) if not store_acts else min(len(history), cut + store_acts)
    base = ripples.rebuild(history[:cut])
    expected = numbers(ripples.rebuild(history[:stop])) if stop < len(history) else None
    results = {}
    for engine in engines:
        url = store_url(engine)
        recreate(url)
        app = make_app(url)
        with app.app_context():
            upgrade()
            begin = time.perf_counter()
            ripple_store.replace_state(None, base, history[cut - 1].key)
            db.session.commit()
            store_seconds = time.perf_counter() - begin
            stored_bytes = db.session.scalar(
                select(
                    func.sum(
                        func.coalesce(func.length(RippleMemberState.reach), 0)
                        + func.coalesce(func.length(RippleMemberState.acts), 0)
                    )
                )
            )
            print(
                f"{engine}: rebuild stored per member, {megabytes(stored_bytes)} in"
                f" {fmt_seconds(store_seconds)}",
                flush=True,
            )
            seconds, written, read, rows, reached, traces, chains = [], [], [], [], [], [], []
            came_back_flags = []
            for act in history[cut:stop]:
                begin = time.perf_counter()
                row = db.session.scalar(
                    select(RippleState)
                    .where(RippleState.id == ripple_store.STATE_ID)
                    .with_for_update()
                )
                stored = ripple_store.open_state(row)
                update = stored.add_act(act)
                if update.came_back:  # the job shows the chain: traced through the act log
                    began = time.perf_counter()
                    chain = ripples.trace_came_back(act, stored.earlier_acts(update.position))
                    traces.append(time.perf_counter() - began)
                    chains.append(len(chain))
                written.append(ripple_store.save_changes(stored, act.key))
                db.session.commit()
                seconds.append(time.perf_counter() - begin)
                read.append(stored.bytes_read + len(row.header))
                rows.append(stored.rows_read)
                reached.append(len(update.newly_reaching))
                came_back_flags.append(update.came_back is not None)
            print(
                f"{engine}: {len(seconds):,} acts, one by one:"
                f" p99 {fmt_seconds(percentile(seconds, 0.99))}",
                flush=True,
            )
            row = db.session.get(RippleState, ripple_store.STATE_ID)
            whole = ripple_store.stored_whole(row)
            same = numbers(whole) == (expected if expected is not None else EXPECTED_FULL[0])
            del whole
            db.session.remove()
        gc.collect()
        results[engine] = {
            "acts_added": len(seconds),
            "stored_bytes": stored_bytes,
            "store_rebuild_seconds": store_seconds,
            "seconds_p50": percentile(seconds, 0.5),
            "seconds_p99": percentile(seconds, 0.99),
            "seconds_max": max(seconds),
            "written_p50": percentile(written, 0.5),
            "written_p99": percentile(written, 0.99),
            "written_max": max(written),
            "read_p50": percentile(read, 0.5),
            "read_p99": percentile(read, 0.99),
            "rows_read_p50": percentile(rows, 0.5),
            "rows_read_p99": percentile(rows, 0.99),
            "newly_reaching_p50": percentile(reached, 0.5),
            "newly_reaching_p99": percentile(reached, 0.99),
            "newly_reaching_max": max(reached),
            "equals_the_full_rebuild": same,
            "came_back_events": len(traces),
            "trace_p50": percentile(traces, 0.5) if traces else None,
            "trace_p99": percentile(traces, 0.99) if traces else None,
            "seconds_p99_without_came_back": percentile(
                [s for s, r in zip(seconds, came_back_flags, strict=True) if not r], 0.99
            ),
        }
    return results


EXPECTED_FULL: list[tuple] = []  # numbers() of the full rebuild, kept by measure()


def megabytes(count: int) -> str:
    return f"{count / 1e6:,.0f} MB"


def print_table(result: dict) -> None:
    shape_ = result["shape"]
    rows = [
        ("history", f"{size_label(result['members'])} members, {result['acts']:,} acts"),
        (
            "  helpers",
            f"{shape_['helpers']:,}; acts each: median {shape_['acts_per_helper_median']}, "
            f"p99 {shape_['acts_per_helper_p99']}, top {shape_['acts_top_helper']}",
        ),
        (
            "  ripples",
            f"reached mean {shape_['reached_mean']:,.0f}, max {shape_['reached_max']:,}; "
            f"longest chain {shape_['longest_chain_max']}; "
            f"{shape_['came_back_events']:,} came-back events",
        ),
        ("single-source pass (median)", fmt_seconds(result["single_pass_median"])),
        (
            "naive way (one pass per member, estimated)",
            fmt_seconds(result["naive_estimate_seconds"]),
        ),
        ("full rebuild", fmt_seconds(result["rebuild_seconds"])),
        ("  rebuild / single pass (target <= 15)", f"{result['rebuild_over_single']:.1f}"),
        (
            f"newest {result['newest_acts']:,} acts added one by one",
            fmt_seconds(result["incremental_seconds"]),
        ),
        ("  incremental / rebuild (target <= 5%)", f"{result['incremental_over_rebuild']:.1%}"),
        (
            "  one update: p50 / p99 / max",
            f"{fmt_seconds(result['update_p50'])} / {fmt_seconds(result['update_p99'])} / "
            f"{fmt_seconds(result['update_max'])}",
        ),
        ("  equals the full rebuild", "yes" if result["incremental_equals_rebuild"] else "NO"),
        (
            "came-back chain to show: p50 / p99",
            f"{fmt_seconds(result['chain_p50'] or 0)} / {fmt_seconds(result['chain_p99'] or 0)}, "
            f"median {result['chain_length_median']} acts",
        ),
        ("memory held by the state (RSS)", megabytes(result["memory"]["state_rss_bytes"])),
        ("  of which bitmap containers", megabytes(result["memory"]["bitmap_bytes"])),
        ("  peak during the rebuild (RSS)", megabytes(result["memory"]["rebuild_peak_rss_bytes"])),
        (
            "stored state (to_bytes)",
            f"{megabytes(result['storage']['bytes'])}; save "
            f"{fmt_seconds(result['storage']['save_seconds'])}, load "
            f"{fmt_seconds(result['storage']['load_seconds'])}",
        ),
    ]
    blob = result["storage"]
    for engine, figures in result.get("stored_per_member", {}).items():
        rows += [
            (
                f"per-member state, {engine}: stored rebuild",
                f"{megabytes(figures['stored_bytes'])} in "
                f"{fmt_seconds(figures['store_rebuild_seconds'])}",
            ),
            (
                f"  one new act ({figures['acts_added']:,}): p50 / p99 / max (target p99 <= 50 ms)",
                f"{fmt_seconds(figures['seconds_p50'])} / {fmt_seconds(figures['seconds_p99'])} / "
                f"{fmt_seconds(figures['seconds_max'])}; one blob: "
                f"{fmt_seconds(blob['load_seconds'] + blob['save_seconds'])}",
            ),
            (
                "  bytes written: p50 / p99 / max (target <= 1 MB)",
                f"{figures['written_p50'] / 1e3:,.1f} / {figures['written_p99'] / 1e3:,.1f} / "
                f"{figures['written_max'] / 1e3:,.1f} kB; one blob: {megabytes(blob['bytes'])}",
            ),
            (
                "  bytes read: p50 / p99; rows read p50 / p99",
                f"{figures['read_p50'] / 1e3:,.1f} / {figures['read_p99'] / 1e3:,.1f} kB; "
                f"{figures['rows_read_p50']} / {figures['rows_read_p99']}",
            ),
            (
                "  reached counts changed: p50 / p99 / max",
                f"{figures['newly_reaching_p50']:,} / {figures['newly_reaching_p99']:,} / "
                f"{figures['newly_reaching_max']:,}",
            ),
            (
                f"  came-back events ({figures['came_back_events']:,}): chain traced p50 / p99",
                f"{fmt_seconds(figures['trace_p50'] or 0)} / "
                f"{fmt_seconds(figures['trace_p99'] or 0)}"
                f"; p99 of the other acts {fmt_seconds(figures['seconds_p99_without_came_back'])}",
            ),
            ("  equals the full rebuild", "yes" if figures["equals_the_full_rebuild"] else "NO"),
        ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", default="100k")
    parser.add_argument("--acts", default="1000k", help="e.g. 1000k for a million")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--newest", type=float, default=0.01, help="share added incrementally")
    parser.add_argument("--single-repeat", type=int, default=3)
    parser.add_argument(
        "--engines",
        default="sqlite,postgresql",
        help="databases of the per-member state ('' for none)",
    )
    parser.add_argument(
        "--store-acts", type=int, default=0, help="newest acts added through a database (0: all)"
    )
    args = parser.parse_args()
    members = parse_size(args.members)
    begin = time.perf_counter()
    history = synthetic_history(members, parse_size(args.acts), args.seed)
    print(
        f"history: {len(history):,} acts in {fmt_seconds(time.perf_counter() - begin)}", flush=True
    )
    result = measure(history, members, args.seed, args.newest, args.single_repeat)
    engines = [engine for engine in args.engines.split(",") if engine]
    if engines:
        result["stored_per_member"] = measure_store(history, args.newest, engines, args.store_acts)
    print()
    print_table(result)
    host = machine()
    print(
        f"\nmachine: {host['cpu']}, {host['cpus']} CPUs, {host['memory']},"
        f" load {host['load_average']}"
    )
    path = save_results("ripples", result)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
