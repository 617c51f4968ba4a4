"""Suggestions for one request: the matching engine against community size, and
against the naive way.

    .venv/bin/python bench/matching.py                       # both engines, 1k 10k 100k
    .venv/bin/python bench/matching.py --engines sqlite --sizes 10k,100k --repeat 5

Needs the bench databases (bench/seed.py, one per engine and size). For each,
times, in this one run:

* engine: ``community.helping.matching.suggest_volunteers`` for the probe
  request (request 1: beta reading and critique, fantasy, live chat), the top
  10 with their reasons; a fresh session each repetition, so nothing is
  served from the identity map;
* naive: load every volunteer with the relations scoring reads (user,
  profile and its genres, offer skills, offer genres), apply the same hard
  filters in Python, and score each with ``matching.score_volunteer``.

Reports the medians, the ratios (engine at the largest size / at 10k, engine
/ naive at each size), how many of the naive top 10 the engine also found
(and how many candidates it scored to find them),
writes bench/results/matching.json and plots time against size (log-log)
into docs/matching-scaling.png.
"""

from __future__ import annotations

import argparse
import gc
import time

from common import (
    DOCS,
    database_url,
    fmt_seconds,
    make_app,
    median,
    parse_size,
    save_results,
    size_label,
)

PROBE_REQUEST_ID = 1
LIMIT = 10


def naive_suggestions(request, limit: int = LIMIT):
    """Every volunteer loaded and scored in Python: what the engine is measured against."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload, selectinload

    from community import blocks
    from community.accounts.models import User
    from community.db import db, utcnow
    from community.helping import matching
    from community.helping.capacity import is_available
    from community.helping.models import Answer, VolunteerOffer
    from community.profiles.models import Profile

    now = utcnow()
    excluded = set(
        db.session.scalars(select(Answer.volunteer_id).where(Answer.request_id == request.id))
    ) | {request.requester_id}
    skill_ids = {skill.id for skill in request.skills}
    offers = db.session.scalars(
        select(VolunteerOffer).options(
            joinedload(VolunteerOffer.user).joinedload(User.profile).selectinload(Profile.genres),
            selectinload(VolunteerOffer.skill_links),
            selectinload(VolunteerOffer.genres),
        )
    ).unique()
    words = matching.keywords(f"{request.title} {request.details}")
    suggestions = [
        matching.score_volunteer(request, words, offer, now)
        for offer in offers
        if offer.user_id not in excluded
        and is_available(offer)
        and not offer.user.is_deleted
        and not blocks.is_blocked_between(offer.user_id, request.requester_id)
        and skill_ids & {link.skill_id for link in offer.skill_links}
    ]
    suggestions.sort(key=lambda s: (-s.score, s.volunteer.id))
    return suggestions[:limit]


def _probe():
    from sqlalchemy.orm import joinedload, selectinload

    from community.accounts.models import User
    from community.db import db
    from community.helping.models import HelpRequest

    return db.session.get(
        HelpRequest,
        PROBE_REQUEST_ID,
        options=[
            joinedload(HelpRequest.requester).joinedload(User.profile),
            joinedload(HelpRequest.genre),
            selectinload(HelpRequest.skills),
        ],
    )


def _timed(app, function) -> tuple[float, list[int]]:
    """One call of ``function(probe)`` in a fresh session of ``app``."""
    from community.db import db

    with app.app_context():
        db.session.remove()
        gc.collect()
        probe = _probe()
        begin = time.perf_counter()
        suggestions = function(probe)
        elapsed = time.perf_counter() - begin
        ids = [s.volunteer.id for s in suggestions]
        db.session.remove()
    return elapsed, ids


def _counts(app) -> tuple[int, int]:
    from sqlalchemy import func, select

    from community.db import db
    from community.helping.models import HelpRequest, VolunteerOffer

    with app.app_context():
        return (
            db.session.scalar(select(func.count(VolunteerOffer.user_id))),
            db.session.scalar(select(func.count(HelpRequest.id))),
        )


def measure(engine: str, sizes: list[int], repeat: int, naive_repeat: int) -> list[dict]:
    """The engine at every size, interleaved round by round (so that whatever else
    the machine is doing falls on every size alike), then the naive way per size."""
    from community.helping import matching

    apps = {}
    for volunteers in sizes:
        app = make_app(database_url(engine, volunteers))
        try:
            _counts(app)
        except Exception as error:
            raise SystemExit(
                f"{engine} {size_label(volunteers)}: not seeded ({error.__class__.__name__}). "
                f"Run: .venv/bin/python bench/seed.py --engine {engine} "
                f"--volunteers {size_label(volunteers)}"
            ) from None
        apps[volunteers] = app
    engine_times: dict[int, list[float]] = {size: [] for size in sizes}
    engine_ids: dict[int, list[int]] = {}
    started = time.perf_counter()
    for round_number in range(repeat + 1):  # round 0 warms the caches
        for size in sizes:
            elapsed, engine_ids[size] = _timed(apps[size], matching.suggest_volunteers)
            if round_number:
                engine_times[size].append(elapsed)
        if round_number and time.perf_counter() - started > 180:
            break
    results = []
    for size in sizes:
        naive_times: list[float] = []
        naive_ids: list[int] = []
        naive_started = time.perf_counter()
        for attempt in range(naive_repeat + 1):
            elapsed, naive_ids = _timed(apps[size], naive_suggestions)
            if attempt:  # the first run warms the caches
                naive_times.append(elapsed)
            if naive_times and time.perf_counter() - naive_started > 300:
                break
        count, requests_count = _counts(apps[size])
        with apps[size].app_context():
            candidates = len(matching.candidate_volunteer_ids(_probe()))
        with apps[size].app_context():
            from community.db import db

            db.engine.dispose()
        result = {
            "engine": engine,
            "volunteers": count,
            "requests": requests_count,
            "engine_seconds": engine_times[size],
            "engine_median": median(engine_times[size]),
            "naive_seconds": naive_times,
            "naive_median": median(naive_times),
            "candidates": candidates,
            "top10_overlap": len(set(engine_ids[size]) & set(naive_ids)),
            "same_order": engine_ids[size] == naive_ids,
        }
        engine_median, naive_median = result["engine_median"], result["naive_median"]
        print(
            f"{engine:10} {size_label(count):>5} volunteers: engine {fmt_seconds(engine_median)}"
            f" (n={len(engine_times[size])}), naive {fmt_seconds(naive_median)}"
            f" (n={len(naive_times)}), engine/naive {engine_median / naive_median:.4f},"
            f" top-10 overlap {result['top10_overlap']}/10 ({candidates} candidates scored)",
            flush=True,
        )
        results.append(result)
    return results


def plot(results: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    styles = {"sqlite": ("#1f77b4", "SQLite"), "postgresql": ("#d62728", "PostgreSQL")}
    for engine, (colour, label) in styles.items():
        rows = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["volunteers"])
        if not rows:
            continue
        sizes = [r["volunteers"] for r in rows]
        axes.plot(
            sizes,
            [r["engine_median"] * 1000 for r in rows],
            "o-",
            color=colour,
            label=f"engine, {label}",
        )
        for row in rows:  # how many of scoring everyone's top 10 the engine found
            axes.annotate(
                f"{row['top10_overlap']}/10",
                (row["volunteers"], row["engine_median"] * 1000),
                textcoords="offset points",
                xytext=(0, 7 if engine == "sqlite" else -13),
                ha="center",
                fontsize=7,
                color=colour,
            )
        axes.plot(
            sizes,
            [r["naive_median"] * 1000 for r in rows],
            "s--",
            color=colour,
            alpha=0.7,
            label=f"naive (score everyone), {label}",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("volunteers in the community")
    axes.set_ylabel("median time for one request's suggestions (ms)")
    axes.set_title(
        "Suggested volunteers for one request: cost against community size\n"
        "(n/10: the engine's top 10 that scoring everyone also puts in its top 10)",
        fontsize=10,
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="1k,10k,100k")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs of the engine")
    parser.add_argument("--naive-repeat", type=int, default=3, help="timed runs of the naive way")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    sizes = [parse_size(size) for size in args.sizes.split(",")]
    results = [
        row
        for engine in args.engines.split(",")
        for row in measure(engine, sizes, args.repeat, args.naive_repeat)
    ]
    ratios = {}
    for engine in args.engines.split(","):
        by_size = {r["volunteers"]: r for r in results if r["engine"] == engine}
        largest, base = max(by_size), 10_000 if 10_000 in by_size else min(by_size)
        ratios[engine] = {
            f"engine {size_label(largest)} / {size_label(base)}": by_size[largest]["engine_median"]
            / by_size[base]["engine_median"],
            **{
                f"engine / naive at {size_label(size)}": row["engine_median"] / row["naive_median"]
                for size, row in sorted(by_size.items())
            },
        }
        for name, value in ratios[engine].items():
            print(f"{engine:10} {name}: {value:.3f}")
    path = save_results("matching", {"results": results, "ratios": ratios})
    print(f"results: {path}")
    if not args.no_plot and len(sizes) > 1:
        plot(results, DOCS / "matching-scaling.png")
        print(f"plot: {DOCS / 'matching-scaling.png'}")


if __name__ == "__main__":
    main()
