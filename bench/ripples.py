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
  bitmaps' own bytes; storage: ``to_bytes`` size, save and load times.

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

from common import fmt_seconds, machine, parse_size, save_results, size_label

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


def measure(members: int, acts: int, seed: int, newest: float, single_repeat: int) -> dict:
    begin = time.perf_counter()
    history = synthetic_history(members, acts, seed)
    print(
        f"history: {len(history):,} acts in {fmt_seconds(time.perf_counter() - begin)}", flush=True
    )
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
    args = parser.parse_args()
    result = measure(
        parse_size(args.members), parse_size(args.acts), args.seed, args.newest, args.single_repeat
    )
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
