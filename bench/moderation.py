"""Moderation: the queue page with 10,000 open reports over 2,000 members
against the request board, and the cost of the trust check on a chat send
(issue 11's benchmark; targets: the queue at least 0.8 of the board's
throughput, the trust check under 5% of a send's time).

    .venv/bin/python bench/moderation.py                       # both engines
    .venv/bin/python bench/moderation.py --engines sqlite --members 500 --reports 2000

Per engine, in this one run, on a database of its own (``kindred_bench_moderation``
on PostgreSQL, ``bench/results/bench-moderation.sqlite3`` on SQLite; rebuilt
every run unless ``--keep``):

0. The community: bench/seed.py's (``--members`` volunteers, ``--requests``
   requests, the bench member to log in as), then, bulk inserted: the bench
   member made a moderator; a conversation between each reported member and
   another member (who reports them) with ``--messages`` messages; ``--reports`` open reports
   over ``--members`` reported members (on their profile by two or more
   members, on their messages by one each, each carrying the frozen context
   a real report carries: the text, and for a message the seven around it);
   their history (dismissed reports, audit rows, blocks). Then ANALYZE.
1. Latency through the application (Flask's test client, the whole request):
   ``GET /moderation/`` against ``GET /requests``, interleaved, medians of
   ``--repeat``; the SQL statements of one request of each (count, time,
   slowest first); and ``service.queue`` alone.
2. Throughput under load with the shared harness (bench/harness.py): the site
   served by gunicorn as the Procfile serves it and the Flask hello world
   (bench/hello.py) by the same settings; the queue, the board and the hello
   world driven in turn with the same connections for ``--duration`` seconds,
   ``--rounds`` times; medians in requests per second: queue / board
   (target at least 0.8).
3. The trust check on a chat send: ``chat.service.send`` (the domain call and
   its commit, what a Socket.IO send runs before the answer) against the trust
   check it contains (``trust.refusal`` and ``trust.links_held`` on the same
   member and text), interleaved, medians of ``--sends``, with the trust
   limits on: for a brand-new member's plain message (the common case, no
   query), a new member's message with a link held for review (the level
   computed), and a trusted member's message with a link (the level computed
   from their thanks and record). Target: the check under 5% of the send.

Everything listens and sends on the loopback address only, every load run is
bounded in time, and the servers are stopped by their process ids.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import timedelta

from common import (
    BENCH_EMAIL,
    PG_SERVER,
    RESULTS,
    check_bench_url,
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

QUEUE_TARGET = 0.8  # the queue's throughput, at least this share of the board's
CHECK_TARGET = 0.05  # the trust check, at most this share of a chat send's time
BATCH = 5000
REASONS = ("spam", "harassment", "scam", "sexual", "other")


def bench_url(engine: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{RESULTS / 'bench-moderation.sqlite3'}"
    return f"{PG_SERVER}/kindred_bench_moderation"


# --- the community -----------------------------------------------------------------


def _insert(connection, table, rows: list[dict]) -> None:
    for first in range(0, len(rows), BATCH):
        connection.execute(table.insert(), rows[first : first + BATCH])


def build(url: str, *, members: int, requests: int, reports: int, messages: int, seed: int):
    """Seed the community, then bulk-insert conversations, reports and history."""
    from seed import seed as seed_community
    from sqlalchemy import func, select, text

    from community.accounts.models import User
    from community.blocks import Block
    from community.chat.models import Conversation, ConversationMember, Message
    from community.db import db, utcnow
    from community.moderation.models import AuditEntry, Report

    check_bench_url(url)
    started = time.perf_counter()
    seed_community(url, members, requests, seed, "board")
    app = make_app(url)
    rng = random.Random(seed)
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        people = db.session.execute(
            select(User.id, User.display_name).where(User.id != me).order_by(User.id)
        ).all()
        names = dict(people)
        ids = [row.id for row in people]
        reported = ids[:members]
        now = utcnow()
        with db.engine.begin() as connection:
            connection.execute(
                User.__table__.update().where(User.id == me).values(is_moderator=True)
            )
            # Each reported member talks with one other member (who reports them):
            # the moderator's own inbox stays as small as any member's.
            partner, keys = {}, set()
            for m in reported:
                while True:
                    other = rng.choice(ids)
                    key = f"{min(m, other)}:{max(m, other)}"
                    if other != m and key not in keys:
                        partner[m] = other
                        keys.add(key)
                        break
            conversations = [
                {"kind": "connection", "pair_key": _key(m, partner[m]),
                 "created_at": now - timedelta(days=30), "last_message_at": now,
                 "last_seq": messages}
                for m in reported
            ]  # fmt: skip
            _insert(connection, Conversation.__table__, conversations)
            conversation_of = dict(
                connection.execute(
                    select(Conversation.pair_key, Conversation.id).where(
                        Conversation.pair_key.in_([c["pair_key"] for c in conversations])
                    )
                ).all()
            )
            member_rows, message_rows = [], []
            for m in reported:
                cid = conversation_of[_key(m, partner[m])]
                member_rows += [
                    {"conversation_id": cid, "user_id": user, "joined_at": now}
                    for user in (partner[m], m)
                ]
                for seq in range(1, messages + 1):
                    sender = m if seq % 2 else partner[m]
                    message_rows.append({
                        "conversation_id": cid, "seq": seq, "sender_id": sender,
                        "client_id": f"bench-{cid}-{seq}",
                        "body": f"Message {seq}: " + " ".join(rng.choice(WORDS) for _ in range(12)),
                        "created_at": now - timedelta(minutes=(messages - seq) * 7),
                    })  # fmt: skip
            _insert(connection, ConversationMember.__table__, member_rows)
            _insert(connection, Message.__table__, message_rows)
            their_messages: dict[int, list] = {}
            for row in connection.execute(
                select(Message.id, Message.conversation_id, Message.seq, Message.sender_id,
                       Message.body, Message.created_at)
                .where(Message.conversation_id.in_(list(conversation_of.values())))
                .order_by(Message.conversation_id, Message.seq)
            ):  # fmt: skip
                their_messages.setdefault(row.conversation_id, []).append(row)
            report_rows = _reports(rng, partner, reported, ids, names, reports, their_messages,
                                   conversation_of, now)  # fmt: skip
            _insert(connection, Report.__table__, report_rows)
            history = rng.sample(reported, k=len(reported) // 2)
            _insert(connection, Report.__table__, [
                {"reporter_id": me, "reported_id": m, "item_type": "profile",
                 "item_id": m, "reason": "spam", "words": "", "context": {"text": ""},
                 "status": "dismissed", "created_at": now - timedelta(days=60),
                 "resolved_at": now - timedelta(days=59), "resolved_by_id": me,
                 "outcome": "dismiss"}
                for m in history
            ])  # fmt: skip
            _insert(connection, AuditEntry.__table__, [
                {"created_at": now - timedelta(days=59), "actor_id": me, "actor_name": "Bench",
                 "action": "dismiss", "member_id": m, "member_name": names[m],
                 "item_type": "profile", "item_id": m, "reason": "fine", "details": {}}
                for m in history
            ])  # fmt: skip
            blocks = {(rng.choice(ids), m) for m in rng.sample(reported, k=len(reported) // 3)}
            _insert(connection, Block.__table__, [
                {"blocker_id": a, "blocked_id": b, "created_at": now - timedelta(days=5)}
                for a, b in blocks if a != b
            ])  # fmt: skip
            for table in ("reports", "messages", "conversations", "audit_log", "blocks", "users"):
                connection.execute(text(f"ANALYZE {table}"))
        counts = {
            "open_reports": db.session.scalar(
                select(func.count()).select_from(Report).where(Report.status == "open")
            ),
            "reported_members": db.session.scalar(
                select(func.count(func.distinct(Report.reported_id))).where(Report.status == "open")
            ),
            "open_cases": _open_cases(),
            "messages": db.session.scalar(select(func.count()).select_from(Message)),
            "seconds": time.perf_counter() - started,
        }
        db.session.remove()
        db.engine.dispose()
    return counts


def _open_cases() -> int:
    from community.safety import open_case_count

    return open_case_count()


def _key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


def _reports(rng, partner, reported, ids, names, total, their_messages, conversation_of, now):
    """``total`` open reports over ``reported``: per member two or more on their
    profile, the rest one each on their messages; created over the last week."""
    per_member = max(3, total // len(reported))
    rows = []
    for n, m in enumerate(reported):
        wanted = per_member + (1 if n < total - per_member * len(reported) else 0)
        on_profile = 2
        reporters = rng.sample([i for i in rng.sample(ids, k=min(len(ids), wanted + 3)) if i != m],
                               k=on_profile)  # fmt: skip
        at = now - timedelta(minutes=rng.randint(1, 7 * 24 * 60))
        for reporter in reporters:
            rows.append({
                "reporter_id": reporter, "reported_id": m, "item_type": "profile", "item_id": m,
                "reason": rng.choice(REASONS), "words": "Their profile is an advertisement.",
                "context": {"text": f"About {names[m]}: " + " ".join(rng.sample(WORDS, 20))},
                "status": "open", "created_at": at,
            })  # fmt: skip
        thread = their_messages[conversation_of[_key(m, partner[m])]]
        theirs = [row for row in thread if row.sender_id == m]
        for message in rng.sample(theirs, k=min(len(theirs), wanted - on_profile)):
            around = [r for r in thread if abs(r.seq - message.seq) <= 3]
            rows.append({
                "reporter_id": partner[m], "reported_id": m, "item_type": "message",
                "item_id": message.id, "reason": rng.choice(REASONS), "words": "",
                "context": {"text": message.body, "messages": [
                    {"id": r.id, "seq": r.seq, "sender_id": r.sender_id,
                     "sender": names[r.sender_id], "body": r.body,
                     "at": r.created_at.isoformat(), "reported": r.id == message.id}
                    for r in around]},
                "status": "open", "created_at": at + timedelta(minutes=rng.randint(1, 600)),
            })  # fmt: skip
    return rows[:total] if len(rows) > total else rows


WORDS = (
    "chapter draft pacing voice scene villain lighthouse harbour letter winter garden "
    "promise secret river mother island ending beginning question reader query agent "
    "sentence margin rhythm dialogue silence storm candle bridge station orchard "
    "midnight journey stranger map"
).split()


# --- latency through the app -----------------------------------------------------------


def latency(url: str, repeat: int) -> dict:
    from sqlalchemy import select

    from community.accounts.models import User
    from community.db import db
    from community.moderation import service

    app = make_app(url)
    client = app.test_client()
    login_test_client(client)
    paths = {"queue": "/moderation/", "board": "/requests"}
    pages, sizes = page_timings(client, paths, repeat=repeat, warmup=3, budget=120)
    sql = {name: sql_of_one_request(app, client, path) for name, path in paths.items()}
    alone = []
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        for _ in range(min(repeat, 20)):
            db.session.remove()
            moderator = db.session.get(User, me)
            begin = time.perf_counter()
            cases = service.queue(moderator)
            alone.append(time.perf_counter() - begin)
        shown = len(cases)
        db.session.remove()
        db.engine.dispose()
    return {
        "repetitions": len(pages["queue"]),
        "page_queue_median": median(pages["queue"]),
        "page_board_median": median(pages["board"]),
        "page_ratio": median(pages["queue"]) / median(pages["board"]),
        "sizes": sizes,
        "sql": sql,
        "queue_alone_median": median(alone),
        "cases_shown": shown,
    }


def throughput(url: str, *, threads: int, connections: int, duration: int, rounds: int) -> dict:
    with site_and_hello(url, threads=threads, log_name="gunicorn-moderation") as (site, hello):
        cookie = login_cookie(f"http://{HOST}:{site}")
        check_pages(site, cookie, ["/moderation/", "/requests"])
        measured = under_load(
            {
                "queue": (site, "/moderation/", cookie),
                "board": (site, "/requests", cookie),
                "hello": (hello, "/", None),
            },
            connections=connections,
            duration=duration,
            rounds=rounds,
        )
    rps = measured["rps"]
    return {
        "tool": measured["tool"],
        "threads": threads,
        "connections": connections,
        "duration": duration,
        "rounds": rounds,
        "runs": measured["runs"],
        "rps": rps,
        "queue_vs_board": rps["queue"] / rps["board"],
        "queue_vs_hello": rps["queue"] / rps["hello"],
        "target": QUEUE_TARGET,
        "target_met": rps["queue"] / rps["board"] >= QUEUE_TARGET,
    }


# --- the trust check on a chat send --------------------------------------------------------


def trust_check(url: str, sends: int) -> dict:
    """A chat send against the trust check inside it (see the module docstring)."""
    from sqlalchemy import select

    from community import trust
    from community.accounts.models import User
    from community.chat import service as chat
    from community.db import db, utcnow
    from community.kindness.models import HelpAct
    from community.network.models import Follow

    app = make_app(url, TRUST_LIMITS=True, TRUST_NEW_LINKS="hold",
                   CHAT_RATE_LIMIT="1000000 per minute")  # fmt: skip
    results = {}
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL))
        others = db.session.scalars(
            select(User.id)
            .where(User.id != me, User.is_moderator.is_(False))
            .order_by(User.id.desc())
            .limit(3)
        ).all()
        now = utcnow()
        senders = {
            # (member id, verified how long ago, their text)
            "new member, plain text": (others[0], timedelta(hours=1), "How is the draft going?"),
            "new member, a link (held)": (others[1], timedelta(hours=1),
                                          "My notes are at www.example.com/notes"),
            "trusted member, a link": (others[2], timedelta(days=90),
                                       "My notes are at https://example.com/notes"),
        }  # fmt: skip
        for user_id, ago, _ in senders.values():
            sender = db.session.get(User, user_id)
            sender.email_verified_at, sender.trust_level_set = now - ago, None
            sender.limited_until = sender.suspended_until = None
            for a, b in ((user_id, me), (me, user_id)):
                if db.session.get(Follow, (a, b)) is None:
                    db.session.add(Follow(follower_id=a, followed_id=b, created_at=now))
        trusted = senders["trusted member, a link"][0]
        for n in range(3):
            db.session.add(HelpAct(helper_id=trusted, helped_id=me, at=now - timedelta(days=n)))
        db.session.commit()
        for kind, (name, (user_id, _, body)) in enumerate(senders.items()):
            user = db.session.get(User, user_id)
            conversation = chat.conversation_with(user, db.session.get(User, me))
            db.session.commit()
            level = trust.level_of(user).number
            check_times, send_times = [], []
            for n in range(sends):
                db.session.expire_all()
                user = db.session.get(User, user_id)
                begin = time.perf_counter()
                trust.refusal(user, "message", text=body, holdable=True)
                trust.links_held(user, body)
                check_times.append(time.perf_counter() - begin)
                db.session.expire_all()
                user = db.session.get(User, user_id)
                begin = time.perf_counter()
                chat.send(user, conversation.id, f"bench-{kind}-{n}-{time.time_ns()}", body)
                db.session.commit()
                send_times.append(time.perf_counter() - begin)
            check, send = median(check_times), median(send_times)
            results[name] = {
                "level": level,
                "check_median": check,
                "send_median": send,
                "share": check / send,
                "target_met": check / send < CHECK_TARGET,
            }
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--members", default="2000", help="reported members (and volunteers)")
    parser.add_argument("--reports", default="10k", help="open reports")
    parser.add_argument("--requests", default="10k", help="help requests (the board's content)")
    parser.add_argument("--messages", type=int, default=12, help="per reported member's chat")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse the database of a past run")
    parser.add_argument("--repeat", type=int, default=40, help="page loads each way")
    parser.add_argument("--sends", type=int, default=200, help="chat sends per kind")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each load run")
    parser.add_argument("--rounds", type=int, default=2, help="load runs of each target")
    parser.add_argument("--skip-load", action="store_true", help="no load runs")
    parser.add_argument("--name", default="moderation", help="bench/results/<name>.json")
    args = parser.parse_args()
    members, reports = parse_size(args.members), parse_size(args.reports)
    results = {}
    for engine in args.engines.split(","):
        url = bench_url(engine)
        print(f"{engine}: {url.rsplit('/', 1)[-1]}", flush=True)
        result = results[engine] = {}
        if not args.keep:
            built = build(url, members=members, requests=parse_size(args.requests),
                          reports=reports, messages=args.messages, seed=args.seed)  # fmt: skip
            result["community"] = built
            print(f"  built: {json.dumps({k: round(v, 1) for k, v in built.items()})}", flush=True)
        page = result["page"] = latency(url, args.repeat)
        print(
            f"  page: queue {fmt_seconds(page['page_queue_median'])} ({page['cases_shown']} "
            f"cases), board {fmt_seconds(page['page_board_median'])}: queue/board time "
            f"{page['page_ratio']:.2f}; service.queue alone "
            f"{fmt_seconds(page['queue_alone_median'])}",
            flush=True,
        )
        for name, one in page["sql"].items():
            print(
                f"  sql of one {name}: {one['queries']} queries, {fmt_seconds(one['sql'])} of "
                f"{fmt_seconds(one['page'])}; slowest {fmt_seconds(one['slowest'][0]['seconds'])}"
                f": {one['slowest'][0]['sql'][:140]}...",
                flush=True,
            )
        if not args.skip_load:
            load = result["load"] = throughput(
                url, threads=args.threads, connections=args.connections,
                duration=args.duration, rounds=args.rounds,
            )  # fmt: skip
            print(
                f"  load: queue {load['rps']['queue']:.1f} req/s, board "
                f"{load['rps']['board']:.1f} req/s, hello {load['rps']['hello']:.0f} req/s: "
                f"queue/board {load['queue_vs_board']:.2f} (target {QUEUE_TARGET}: "
                f"{'met' if load['target_met'] else 'NOT met'})",
                flush=True,
            )
        checks = result["trust_check"] = trust_check(url, args.sends)
        for name, one in checks.items():
            print(
                f"  trust check, {name} (level {one['level']}): "
                f"{fmt_seconds(one['check_median'])} of a {fmt_seconds(one['send_median'])} send"
                f" = {one['share']:.1%} (target under {CHECK_TARGET:.0%}: "
                f"{'met' if one['target_met'] else 'NOT met'})",
                flush=True,
            )
    data = {"members": members, "reports": reports, "results": results}
    print(f"results: {save_results(args.name, data)}")


if __name__ == "__main__":
    main()
