"""A member's ripple page against the request board, throughput under load
(issue 5's benchmark; target: the ripple page at least 80% of the board).

    .venv/bin/python bench/ripple_page.py                     # both engines, the 100k databases
    .venv/bin/python bench/ripple_page.py --engines sqlite --duration 10

Needs the bench databases (bench/seed.py). Per engine, in this one run, logged
in as the bench member:

0. The migrations: ``flask db upgrade`` (the databases may predate the
   kindness tables). Then the stored ripples the page reads (pages never
   traverse; the engine's job writes these), bulk inserted and idempotent (the
   same database and ``--seed`` give the same rows, dated from the newest
   request, not from the clock; a rerun rewrites them in place):

   * the bench member's ``MemberRipples`` row: a picture of three levels
     (``--children`` people at level 1, then each person helped 0 to
     ``--children`` people after they were reached, as the job draws it: at
     most 12 per person, the rest counted in ``more``), the counts to match;
   * ``--came-back`` came-back events of theirs (``CameBack``, the chain in
     JSON: down a path of the picture, a hop or two further, then back to
     the member), and the acts of help behind the picture and the chains
     (``HelpAct``, recorded); ids of these rows are in a reserved range;
   * a second member with a full picture (12 children everywhere, 1,884
     people: the largest picture the job ever stores), the worst case,
     shown to the bench member as someone else's page.

1. Latency through the application (Flask's test client, the whole request)
   of ``GET /members/<id>/ripples`` against ``GET /requests``, interleaved,
   medians of ``--repeat``, and the SQL of one request of each.
2. Throughput under load, with the shared harness (bench/harness.py) (gunicorn as the Procfile
   serves it, and the Flask hello world by the same settings): ``wrk`` drives
   the ripple page, the worst-case ripple page, the board and the hello world
   in turn with the same connections for ``--duration`` seconds, after a
   2-second warm-up each, ``--rounds`` times; the medians are compared:
   ripples / board (target at least 0.8).

Everything listens and sends on the loopback address only, every load run is
bounded in time, and the servers are stopped by their process ids.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from common import (
    BENCH_EMAIL,
    check_bench_url,
    database_url,
    fmt_seconds,
    make_app,
    median,
    parse_size,
    save_results,
)
from harness import (
    HOST,
    check_pages,
    login_cookie,
    login_test_client,
    page_timings,
    site_and_hello,
    sql_of_one_request,
    under_load,
)

TARGET = 0.8  # the ripple page's throughput, at least this share of the board's
ID_BASE = 1_000_000_000  # help_acts and came_back rows of this bench: ids from here
ID_SPAN = 10_000_000  # ... to here (the rows of the worst-case member start half-way)
TREE_CHILDREN = 12  # the job's limit (community/kindness/jobs.py)
TREE_DEPTH = 3


# --- the stored ripples ---------------------------------------------------------


def migrate(url: str) -> str:
    """``flask db upgrade`` on the bench database; returns the revision."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from community.db import db

    check_bench_url(url)
    app = make_app(url)
    with app.app_context():
        upgrade()
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
        db.engine.dispose()
    return revision


class History:
    """The picture, the came-back chains and the acts behind them, for one member."""

    def __init__(self, member: int, people: list[int], anchor: datetime, rng: random.Random):
        self.member = member
        self.people = people  # who can appear, in random order, without the member
        self.anchor = anchor
        self.rng = rng
        self.next_person = 0
        self.acts: list[dict] = []
        self.events: list[dict] = []

    def person(self) -> int:
        self.next_person += 1
        return self.people[self.next_person - 1]

    def act(self, helper: int, helped: int, at: datetime, first_id: int) -> dict:
        row = {
            "id": first_id + len(self.acts),
            "helper_id": helper,
            "helped_id": helped,
            "at": at,
            "recorded_at": self.anchor,
        }
        self.acts.append(row)
        return row

    def tree(self, level1: int, full: bool, first_id: int) -> tuple[dict, dict]:
        """The picture as build_tree stores it, and the counts that go with it."""
        rng = self.rng
        start = self.anchor - timedelta(days=330)
        root = {"id": self.member, "children": [], "more": rng.randint(2, 9)}
        level = [(root, start)]
        for depth in range(TREE_DEPTH):
            following = []
            for node, since in level:
                count = level1 if depth == 0 else TREE_CHILDREN if full else rng.randint(0, 12)
                if depth:
                    node["more"] = rng.randint(1, 15) if count == TREE_CHILDREN else 0
                span = (self.anchor - since).total_seconds()
                times = sorted(rng.uniform(0.02, 0.6) * span for _ in range(count))
                for offset in times:
                    at = since + timedelta(seconds=offset)
                    child = {
                        "id": self.person(),
                        "at": at.isoformat(),
                        "children": [],
                        "more": 0,
                    }
                    node["children"].append(child)
                    self.act(node["id"], child["id"], at, first_id)
                    following.append((child, at))
            level = following
        drawn = self.next_person
        counted = _more(root)
        counts = {
            "helped_directly": len(root["children"]) + root["more"],
            "reached": drawn + counted + rng.randint(drawn, 3 * drawn),  # and beyond 3 levels
        }
        return root, counts

    def came_back(self, root: dict, count: int, first_id: int, event_id: int) -> int:
        """``count`` chains down the picture and back to the member; the longest."""
        rng = self.rng
        longest = TREE_DEPTH
        paths = _paths(root)
        by_edge = {(act["helper_id"], act["helped_id"]): act for act in self.acts}
        for index in range(count):
            path = rng.choice(paths)
            steps = [by_edge[(a["id"], b["id"])] for a, b in pairwise(path)]
            at = datetime.fromisoformat(path[-1]["at"])
            helper = path[-1]["id"]
            for _ in range(rng.randint(0, 2)):  # a hop or two further
                at += (self.anchor - at) * rng.uniform(0.05, 0.3)
                helped = self.person()
                steps.append(self.act(helper, helped, at, first_id))
                helper = helped
            at += (self.anchor - at) * rng.uniform(0.1, 0.9)
            last = self.act(helper, self.member, at, first_id)
            steps.append(last)
            longest = max(longest, len(steps))
            self.events.append(
                {
                    "id": event_id + index,
                    "member_id": self.member,
                    "act_id": last["id"],
                    "chain": [
                        {
                            "act": step["id"],
                            "helper": step["helper_id"],
                            "helped": step["helped_id"],
                            "at": step["at"].astimezone(UTC).isoformat(),
                        }
                        for step in steps
                    ],
                    "created_at": at,
                    "notified_at": at,
                }
            )
        return longest


def _more(node: dict) -> int:
    return node["more"] + sum(_more(child) for child in node["children"])


def _paths(root: dict) -> list[list[dict]]:
    """Every path from the root to a deepest person of the picture."""
    paths: list[list[dict]] = []

    def walk(node: dict, path: list[dict]) -> None:
        if not node["children"]:
            if len(path) > 1:
                paths.append(path)
            return
        for child in node["children"]:
            walk(child, [*path, child])

    walk(root, [root])
    deepest = max(len(path) for path in paths)
    return [path for path in paths if len(path) == deepest]


def store_ripples(url: str, *, level1: int, came_back: int, seed: int) -> dict:
    """Write the stored ripples of the bench member and of the worst-case member."""
    from sqlalchemy import delete, func, select, text

    from community.accounts.models import User
    from community.db import db
    from community.helping.models import HelpRequest
    from community.kindness.models import CameBack, HelpAct, KindnessPrivacy, MemberRipples

    app = make_app(url)
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        if me is None:
            raise SystemExit(f"no {BENCH_EMAIL} in {url}: seed it with bench/seed.py")
        anchor = db.session.scalar(select(func.max(HelpRequest.created_at)))
        members = db.session.scalars(
            select(User.id).where(User.id != me, User.deleted_at.is_(None)).order_by(User.id)
        ).all()
        rng = random.Random(seed)
        worst = members[len(members) // 2]
        others = [m for m in members if m != worst]
        rng.shuffle(others)
        acts: list[dict] = []
        events: list[dict] = []
        rows: list[dict] = []
        for member, full, base in ((me, False, ID_BASE), (worst, True, ID_BASE + ID_SPAN // 2)):
            history = History(member, others + ([] if member == me else [me]), anchor, rng)
            tree, counts = history.tree(level1 if not full else TREE_CHILDREN, full, base)
            longest = history.came_back(tree, came_back, base, base)
            acts += history.acts
            events += history.events
            rows.append(
                {
                    "user_id": member,
                    **counts,
                    "longest_chain": longest + rng.randint(0, 3),
                    "came_back": came_back,
                    "tree": tree,
                    "updated_at": anchor,
                }
            )
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        reserved = (CameBack.id >= ID_BASE) & (CameBack.id < ID_BASE + ID_SPAN)
        db.session.execute(delete(CameBack).where(reserved))
        db.session.execute(
            delete(HelpAct).where(HelpAct.id >= ID_BASE, HelpAct.id < ID_BASE + ID_SPAN)
        )
        db.session.execute(delete(KindnessPrivacy).where(KindnessPrivacy.user_id.in_([me, worst])))
        for first in range(0, len(acts), 5000):
            db.session.execute(insert(HelpAct.__table__), acts[first : first + 5000])
        db.session.execute(insert(CameBack.__table__), events)
        for row in rows:
            statement = insert(MemberRipples.__table__).values(**row)
            db.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={key: statement.excluded[key] for key in row if key != "user_id"},
                )
            )
        db.session.commit()
        for table in ("help_acts", "came_back", "member_ripples"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()
        summary = {
            "member_id": me,
            "worst_member_id": worst,
            "acts": len(acts),
            "came_back_rows": len(events),
            "help_acts_rows": db.session.scalar(select(func.count()).select_from(HelpAct)),
            "pictures": {
                str(row["user_id"]): {
                    "people_drawn": _count(row["tree"]) - 1,
                    "reached": row["reached"],
                    "helped_directly": row["helped_directly"],
                    "longest_chain": row["longest_chain"],
                    "came_back": row["came_back"],
                }
                for row in rows
            },
        }
        db.session.remove()
        db.engine.dispose()
    return summary


def _count(node: dict) -> int:
    return 1 + sum(_count(child) for child in node["children"])


# --- latency through the app ----------------------------------------------------


def latency(url: str, paths: dict[str, str], repeat: int) -> dict:
    """The pages through the app, interleaved; the SQL of one request of each."""
    app = make_app(url)
    client = app.test_client()
    login_test_client(client)
    pages, sizes = page_timings(client, paths, repeat=repeat, warmup=5, budget=60)
    sql = {name: sql_of_one_request(app, client, path) for name, path in paths.items()}
    with app.app_context():
        from community.db import db

        db.session.remove()
        db.engine.dispose()
    return {
        "repetitions": len(pages["board"]),
        "median": {name: median(times) for name, times in pages.items()},
        "bytes": sizes,
        "sql": sql,
    }


# --- throughput under load ------------------------------------------------------


def throughput(
    url: str, paths: dict[str, str], *, threads: int, connections: int, duration: int, rounds: int
) -> dict:
    with site_and_hello(url, threads=threads, log_name="gunicorn-ripples") as (
        site_port,
        hello_port,
    ):
        cookie = login_cookie(f"http://{HOST}:{site_port}")
        check_pages(site_port, cookie, paths.values())
        targets = {name: (site_port, path, cookie) for name, path in paths.items()}
        targets["hello"] = (hello_port, "/", None)
        measured = under_load(targets, connections=connections, duration=duration, rounds=rounds)
    rps = measured["rps"]
    return {
        "tool": measured["tool"],
        "threads": threads,
        "connections": connections,
        "duration": duration,
        "rounds": rounds,
        "runs": measured["runs"],
        "rps": rps,
        "ripples_vs_board": rps["ripples"] / rps["board"],
        "ripples_full_vs_board": rps["ripples_full"] / rps["board"],
        "ripples_vs_hello": rps["ripples"] / rps["hello"],
        "board_vs_hello": rps["board"] / rps["hello"],
        "target": TARGET,
        "target_met": rps["ripples"] / rps["board"] >= TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--size", default="100k", help="which bench database (volunteers)")
    parser.add_argument("--children", type=int, default=12, help="people helped at level 1")
    parser.add_argument("--came-back", type=int, default=25, help="came-back events of each")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=30, help="page loads each way")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=12, help="seconds of each load run")
    parser.add_argument("--rounds", type=int, default=2, help="load runs of each target")
    parser.add_argument("--skip-latency", action="store_true", help="load only")
    parser.add_argument("--skip-load", action="store_true", help="latency only")
    parser.add_argument("--name", default="ripple_page", help="bench/results/<name>.json")
    args = parser.parse_args()
    if not 1 <= args.children <= TREE_CHILDREN:
        parser.error(f"--children: 1 to {TREE_CHILDREN}")
    results = {}
    started = time.perf_counter()
    for engine in args.engines.split(","):
        url = database_url(engine, parse_size(args.size))
        print(f"{engine}: {url.rsplit('/', 1)[-1]} (migrations at {migrate(url)})", flush=True)
        stored = store_ripples(url, level1=args.children, came_back=args.came_back, seed=args.seed)
        pictures = stored["pictures"]
        print(
            f"  stored: {stored['acts']:,} acts, {stored['came_back_rows']} came-back events; "
            + "; ".join(
                f"member {member}: {p['people_drawn']:,} people drawn, {p['reached']:,} reached"
                for member, p in pictures.items()
            ),
            flush=True,
        )
        results[engine] = {"stored": stored}
        paths = {
            "ripples": f"/members/{stored['member_id']}/ripples",
            "ripples_full": f"/members/{stored['worst_member_id']}/ripples",
            "board": "/requests",
        }
        if not args.skip_latency:
            page = latency(url, paths, args.repeat)
            print(
                "  page: "
                + ", ".join(
                    f"{name} {fmt_seconds(seconds)} ({page['bytes'][name] // 1024} KiB, "
                    f"{page['sql'][name]['queries']} queries, "
                    f"SQL {fmt_seconds(page['sql'][name]['sql'])})"
                    for name, seconds in page["median"].items()
                ),
                flush=True,
            )
            results[engine]["page"] = page
        if not args.skip_load:
            load = throughput(
                url,
                paths,
                threads=args.threads,
                connections=args.connections,
                duration=args.duration,
                rounds=args.rounds,
            )
            rps = load["rps"]
            print(
                f"  load: ripples {rps['ripples']:.0f} req/s, full picture "
                f"{rps['ripples_full']:.0f} req/s, board {rps['board']:.0f} req/s, hello world "
                f"{rps['hello']:.0f} req/s: ripples/board {load['ripples_vs_board']:.3f} "
                f"(target {TARGET}: {'met' if load['target_met'] else 'NOT met'}), full "
                f"picture/board {load['ripples_full_vs_board']:.3f}",
                flush=True,
            )
            results[engine]["load"] = load
    data = {
        "size": args.size,
        "children": args.children,
        "came_back": args.came_back,
        "seed": args.seed,
        "results": results,
        "seconds": time.perf_counter() - started,
    }
    print(f"results: {save_results(args.name, data)} ({data['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
