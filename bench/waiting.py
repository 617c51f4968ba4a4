"""No one left hanging (issue 12's benchmark): the periodic jobs that find due
work, against a plain scan of the active matches; and the "waiting for me"
page against the request board, under load.

    .venv/bin/python bench/waiting.py                        # both engines
    .venv/bin/python bench/waiting.py --engines sqlite --skip-load

Targets: each due-work job at most 0.2 of a plain scan of the active matches
(with nothing due, and with a realistic share due), and ``/waiting`` at least
0.8 of the board's throughput.

Builds its own databases (``bench/results/bench-waiting.sqlite3`` and
``kindred_bench_waiting``; ``--reseed`` rebuilds them): the community of
bench/seed.py (100k volunteers, 200k requests), then, on top, drawn from one
seeded generator:

* ``--active`` (50k) active matches on the newest requests, created over the
  last 60 days, each with its accepted answer, its chat and the chat's two
  members (who has written: most of the older ones, few of the newest), and
  as many ended matches on older requests; the first-contact due times as
  the job leaves them between runs (set only on matches younger than the
  reminders' delay in which nobody has written); ``check_in_due_at`` (when the
  column exists) spread over the coming week;
* ``--pending`` (20k) invitations and offers waiting for a reply on open
  requests, expiring over the coming days;
* the bench member's waiting things: invitations to answer, offers on their
  own open request, matches they have not written in yet (in one the other
  has), a thanks to confirm; and some finished matches of theirs.

Per engine, in this one run:

1. **Due-work jobs.** Every job of :data:`DUE_WORK` that exists in
   ``community.jobs.PERIODIC`` (names absent from this checkout are skipped,
   so a job added later is measured without edits), called as the scheduler
   calls it, in a fresh session, with Redis as the queue (so emails are
   queued, as in production). Two states, re-armed before every call:
   *nothing due* (the state between two hourly runs) and *due*: ``--due``
   items of each kind (helper reminders, requester reminders, check-ins,
   expiring answers) come due in the last hour, chosen among matches and
   answers where they would really be sent. The baseline in the same rounds,
   interleaved: the plain scan, ``SELECT`` of every active match with all its
   columns (Core rows), which is what a job without due-time indexes would
   read; an ORM scan is printed too. Medians of ``--rounds``. The SQL of one
   due run (count, slowest) says where the time goes.
2. **The page.** ``GET /waiting`` against ``GET /requests`` through the app
   (test client, interleaved, medians; the SQL of one of each), then under
   load with the shared harness (bench/harness.py): gunicorn as the Procfile
   runs it, logged in, ``wrk`` on the waiting page, the board and the hello
   world in turn, ``--duration`` seconds each after a warm-up, ``--load-rounds``
   times; waiting / board (target at least 0.8).

Everything listens and sends on the loopback address only, every load run is
bounded in time, and the servers are stopped by their process ids. Rows the
jobs write while measured (notifications, queued emails) are removed after
each round, and the RQ queue of ``--redis`` is emptied at the end.
"""

from __future__ import annotations

import argparse
import importlib
import random
import time
from datetime import UTC, datetime, timedelta

from common import (
    PG_SERVER,
    RESULTS,
    check_bench_url,
    fmt_seconds,
    make_app,
    median,
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

JOB_TARGET = 0.2  # each due-work job, at most this share of the plain scan
PAGE_TARGET = 0.8  # the waiting page's throughput, at least this share of the board's

# The periodic jobs that find due reminders, expiries and check-ins, by their
# names in community.jobs.PERIODIC. A name this checkout does not have is skipped.
DUE_WORK = ("remind-first-contact", "expire-quiet-answers", "check-ins")

ACTIVE_SPAN_DAYS = 60  # active matches were made over this many days
BENCH_MEMBER = 1  # bench/seed.py's bench@example.com


def bench_url(engine: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{RESULTS / 'bench-waiting.sqlite3'}"
    if engine == "postgresql":
        return f"{PG_SERVER}/kindred_bench_waiting"
    raise ValueError(f"unknown engine {engine!r}")


def has_column(table: str, column: str) -> bool:
    from sqlalchemy import inspect

    from community.db import db

    return any(info["name"] == column for info in inspect(db.engine).get_columns(table))


# --- the community on top of bench/seed.py's ------------------------------------------


def prepare(url: str, *, active: int, pending: int, reseed: bool, seed_value: int) -> dict:
    """Seed the database at ``url`` unless it already holds the matches."""
    from sqlalchemy import func, select

    from community.db import db
    from community.helping.models import HelpRequest, Match

    check_bench_url(url)
    seeded = matched = False
    if not reseed:
        app = make_app(url)
        try:
            with app.app_context():
                seeded = bool(db.session.scalar(select(func.count()).select_from(HelpRequest)))
                matched = bool(db.session.scalar(select(func.count(Match.id))))
                db.session.remove()
                db.engine.dispose()
        except Exception:  # no database yet, or not migrated
            pass
    if not seeded:
        from seed import seed as seed_community

        summary = seed_community(url, 100_000, 200_000, seed_value, "board")
        print(f"  seeded: {summary['requests']:,} requests in {summary['seconds']:.0f} s")
    if not seeded or not matched:
        add_matches(url, active=active, pending=pending, seed_value=seed_value)
    return counts(url)


def add_matches(url: str, *, active: int, pending: int, seed_value: int) -> None:
    from seed import Writer

    from community.db import db

    app = make_app(url)
    with app.app_context():
        config = app.config
        helper_delay = timedelta(hours=config["FIRST_CONTACT_REMINDER_HOURS"])
        requester_delay = helper_delay + timedelta(
            hours=config["FIRST_CONTACT_REQUESTER_AFTER_HOURS"]
        )
        check_ins = has_column("matches", "check_in_due_at")
        writer = Writer(db.engine)
        ts = writer.ts
        rng = random.Random(seed_value + 12)
        now = datetime.now(UTC)
        total_requests = writer.scalar("SELECT max(id) FROM help_requests")
        max_user = writer.scalar("SELECT max(id) FROM users")
        open_ids = [
            row[0]
            for row in writer.connection.execute(
                "SELECT id FROM help_requests WHERE status = 'open' AND requester_id <> 1"
            ).fetchall()
        ]
        requester_of = dict(
            writer.connection.execute("SELECT id, requester_id FROM help_requests").fetchall()
        )
        answers, matches, conversations, members = [], [], [], []
        pairs: set[tuple[int, int]] = set()

        def volunteer_for(request_id: int, exclude: int) -> int:
            while True:
                volunteer = rng.randint(2, max_user)
                if volunteer != exclude and (request_id, volunteer) not in pairs:
                    pairs.add((request_id, volunteer))
                    return volunteer

        def match(request_id, requester, helper, created, status, *, wrote: tuple[bool, bool]):
            answer_id = len(answers) + 1
            answers.append(
                (
                    answer_id,
                    request_id,
                    helper,
                    rng.choice(("offer", "invitation")),
                    "",
                    "accepted",
                    "",
                    ts(created - timedelta(hours=rng.uniform(1, 48))),
                    ts(created),
                    None,
                    None,
                )
            )
            match_id = len(matches) + 1
            ended = None if status == "active" else ts(created + timedelta(days=rng.uniform(3, 40)))
            nobody_wrote = not any(wrote)
            age = now - created
            helper_due = created + helper_delay
            requester_due = created + requester_delay
            row = [
                match_id,
                request_id,
                answer_id,
                requester,
                helper,
                status,
                "",
                None,
                ts(created),
                ts(created),
                ended,
                # Between two runs only the reminders still to come are set.
                ts(helper_due)
                if status == "active" and nobody_wrote and age < helper_delay
                else None,
                ts(requester_due)
                if status == "active" and nobody_wrote and age < requester_delay
                else None,
            ]
            if check_ins:
                due = now + timedelta(days=rng.uniform(0.05, 7)) if status == "active" else None
                row.append(ts(due))
            matches.append(tuple(row))
            conversations.append((match_id, "match", match_id, None, ts(created), ts(created), 0))
            for user_id, wrote_it in ((requester, wrote[0]), (helper, wrote[1])):
                at = created + timedelta(hours=rng.uniform(0.5, 20)) if wrote_it else None
                members.append((match_id, user_id, 0, None, 0, ts(created), ts(at)))
            return match_id

        # Active matches on the newest requests (the probe, request 1, keeps none).
        newest = range(total_requests, max(1, total_requests - active), -1)
        for request_id in newest:
            requester = requester_of[request_id]
            created = now - timedelta(days=rng.uniform(0, ACTIVE_SPAN_DAYS))
            fresh = (now - created) < timedelta(hours=48)
            chance = 0.35 if fresh else 0.9  # has each side written yet?
            wrote = (rng.random() < chance, rng.random() < chance)
            match(
                request_id,
                requester,
                volunteer_for(request_id, requester),
                created,
                "active",
                wrote=wrote,
            )
        # As many ended matches on older requests.
        for request_id in range(2, 2 + active):
            requester = requester_of[request_id]
            created = now - timedelta(days=rng.uniform(ACTIVE_SPAN_DAYS, 700))
            match(
                request_id,
                requester,
                volunteer_for(request_id, requester),
                created,
                rng.choices(("completed", "cancelled"), (85, 15))[0],
                wrote=(True, True),
            )
        # The bench member: two matches they have not written in (in one the
        # other has), and a few finished ones.
        for index, other_wrote in enumerate((False, True)):
            request_id = open_ids[index]
            requester = requester_of[request_id]
            pairs.add((request_id, BENCH_MEMBER))
            match(
                request_id,
                requester,
                BENCH_MEMBER,
                now - timedelta(days=2 + index),
                "active",
                wrote=(other_wrote, False),
            )
        for index in range(5):
            request_id = 1000 + index
            pairs.add((request_id, BENCH_MEMBER))
            match(
                request_id,
                requester_of[request_id],
                BENCH_MEMBER,
                now - timedelta(days=100 + index),
                "completed",
                wrote=(True, True),
            )
        # Invitations and offers waiting for a reply, on open requests.
        for _ in range(pending):
            request_id = rng.choice(open_ids)
            kind = rng.choice(("offer", "invitation"))
            created = now - timedelta(days=rng.uniform(0, 3.9))
            answers.append(
                (
                    len(answers) + 1,
                    request_id,
                    volunteer_for(request_id, requester_of[request_id]),
                    kind,
                    "I would love to help." if kind == "offer" else "",
                    "pending",
                    "",
                    ts(created),
                    None,
                    ts(created + timedelta(days=4 if kind == "invitation" else 5)),
                    None,
                )
            )
        # The bench member's invitations to answer, and their own open request
        # with offers on it.
        for request_id in open_ids[10:13]:
            pairs.add((request_id, BENCH_MEMBER))
            created = now - timedelta(hours=rng.uniform(2, 40))
            answers.append(
                (
                    len(answers) + 1,
                    request_id,
                    BENCH_MEMBER,
                    "invitation",
                    "",
                    "pending",
                    "",
                    ts(created),
                    None,
                    ts(created + timedelta(days=4)),
                    None,
                )
            )
        own = total_requests + 1
        writer.execute(
            "INSERT INTO help_requests (id, requester_id, title, details, genre_id, format, "
            "effort, helpers_wanted, places_taken, status, created_at, updated_at, "
            "last_activity_at, asks_round) VALUES "
            + (
                "(?, 1, ?, ?, NULL, 'written', '', 2, 0, 'open', ?, ?, ?, 0)"
                if writer.dialect == "sqlite"
                else "(%s, 1, %s, %s, NULL, 'written', '', 2, 0, 'open', %s, %s, %s, 0)"
            ),
            (
                own,
                "Critique of my query letter for a cosy mystery",
                "Two paragraphs and a bio; I would love a frank read.",
                ts(now - timedelta(days=1)),
                ts(now - timedelta(days=1)),
                ts(now - timedelta(days=1)),
            ),
        )
        for _ in range(3):
            created = now - timedelta(hours=rng.uniform(1, 20))
            answers.append(
                (
                    len(answers) + 1,
                    own,
                    volunteer_for(own, BENCH_MEMBER),
                    "offer",
                    "Happy to read it this week.",
                    "pending",
                    "",
                    ts(created),
                    None,
                    ts(created + timedelta(days=5)),
                    None,
                )
            )
        writer.rows(
            "answers",
            (
                "id",
                "request_id",
                "volunteer_id",
                "kind",
                "note",
                "status",
                "decline_reason",
                "created_at",
                "responded_at",
                "expires_at",
                "expired_at",
            ),
            answers,
        )
        match_columns = (
            "id",
            "request_id",
            "answer_id",
            "requester_id",
            "helper_id",
            "status",
            "cancel_reason",
            "cancelled_by_id",
            "created_at",
            "introduced_at",
            "ended_at",
            "helper_reminder_due_at",
            "requester_reminder_due_at",
        ) + (("check_in_due_at",) if check_ins else ())
        writer.rows("matches", match_columns, matches)
        writer.rows(
            "conversations",
            ("id", "kind", "match_id", "pair_key", "created_at", "last_message_at", "last_seq"),
            conversations,
        )
        writer.rows(
            "conversation_members",
            (
                "conversation_id",
                "user_id",
                "last_read_seq",
                "email_due_at",
                "emailed_through_seq",
                "joined_at",
                "first_wrote_at",
            ),
            members,
        )
        writer.rows(
            "thanks",
            (
                "author_id",
                "helper_id",
                "body",
                "status",
                "author_private",
                "helper_private",
                "reply",
                "created_at",
            ),
            [
                (
                    requester_of[2000],
                    BENCH_MEMBER,
                    "You talked me through my opening chapter at a conference: thank you.",
                    "pending",
                    False,
                    False,
                    "",
                    ts(now - timedelta(days=1)),
                )
            ],
        )
        writer.commit()
        if writer.dialect == "postgresql":
            for table in ("answers", "matches", "conversations", "help_requests", "thanks"):
                writer.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            writer.execute(
                "INSERT INTO help_request_search (request_id, document) "
                "SELECT id, setweight(to_tsvector('english', title), 'A') || "
                "to_tsvector('english', details) FROM help_requests WHERE id = %s",
                (own,),
            )
            writer.commit()
            writer.connection.autocommit = True
            writer.execute("VACUUM ANALYZE")
        else:
            writer.execute(
                "INSERT INTO help_request_fts (rowid, title, details) "
                "SELECT id, title, details FROM help_requests WHERE id = ?",
                (own,),
            )
            writer.execute("ANALYZE")
            writer.commit()
        writer.close()
        db.engine.dispose()


def counts(url: str) -> dict:
    from sqlalchemy import func, select

    from community.db import db
    from community.helping.models import Answer, AnswerStatus, Match, MatchStatus
    from community.waiting.service import waiting_for

    app = make_app(url)
    with app.app_context():
        waiting = waiting_for(BENCH_MEMBER)
        summary = {
            "matches": db.session.scalar(select(func.count(Match.id))),
            "active_matches": db.session.scalar(
                select(func.count(Match.id)).where(Match.status == MatchStatus.ACTIVE)
            ),
            "pending_answers": db.session.scalar(
                select(func.count(Answer.id)).where(Answer.status == AnswerStatus.PENDING)
            ),
            "bench_member_waiting": {
                "invitations": len(waiting.invitations),
                "offers": len(waiting.offers),
                "first_messages": len(waiting.first_messages),
                "thanks": len(waiting.thanks),
            },
            "check_in_due_at": has_column("matches", "check_in_due_at"),
        }
        db.session.remove()
        db.engine.dispose()
    return summary


# --- 1. the due-work jobs against a plain scan ----------------------------------------


class DueSets:
    """The matches and answers made due for the *due* state, chosen where the
    job would really act (active matches nobody has written in; answers still
    pending on open requests), and how to arm either state."""

    def __init__(self, due: int, seed_value: int):
        from sqlalchemy import and_, exists, func, select

        from community.chat.models import Conversation, ConversationMember
        from community.db import db
        from community.helping.models import (
            Answer,
            AnswerStatus,
            HelpRequest,
            Match,
            MatchStatus,
            RequestStatus,
        )
        from community.mail.models import OutboxEmail
        from community.notifications.models import Notification

        rng = random.Random(seed_value + 13)
        written = exists().where(
            ConversationMember.conversation_id == Conversation.id,
            ConversationMember.first_wrote_at.is_not(None),
        )
        quiet = db.session.scalars(
            select(Match.id)
            .join(Conversation, Conversation.match_id == Match.id)
            .where(
                Match.status == MatchStatus.ACTIVE,
                Match.helper_id != BENCH_MEMBER,
                Match.requester_id != BENCH_MEMBER,
                ~written,
            )
            .order_by(Match.id)
        ).all()
        chosen = rng.sample(quiet, min(len(quiet), 2 * due))
        self.helper_due, self.requester_due = chosen[:due], chosen[due:]
        active = db.session.scalars(
            select(Match.id).where(Match.status == MatchStatus.ACTIVE).order_by(Match.id)
        ).all()
        self.check_in_due = (
            rng.sample(active, due) if has_column("matches", "check_in_due_at") else []
        )
        waiting_answers = db.session.scalars(
            select(Answer.id)
            .join(HelpRequest, HelpRequest.id == Answer.request_id)
            .where(
                Answer.status == AnswerStatus.PENDING,
                HelpRequest.status == RequestStatus.OPEN,
                Answer.volunteer_id != BENCH_MEMBER,
                HelpRequest.requester_id != BENCH_MEMBER,
            )
            .order_by(Answer.id)
        ).all()
        self.answers_due = rng.sample(waiting_answers, due)
        self.notifications_from = db.session.scalar(select(func.max(Notification.id))) or 0
        self.outbox_from = db.session.scalar(select(func.max(OutboxEmail.id))) or 0
        self.tables = (Match, Answer, Notification, OutboxEmail, AnswerStatus)
        self._and = and_
        db.session.rollback()

    def arm(self, due: bool) -> None:
        """Put the chosen items in the *due* state (due in the last hour) or the
        *nothing due* state (due later), and drop what earlier runs wrote."""
        from sqlalchemy import delete, update

        from community.db import db, utcnow

        Match, Answer, Notification, OutboxEmail, AnswerStatus = self.tables
        now = utcnow()
        when = now - timedelta(minutes=30) if due else now + timedelta(hours=6)
        db.session.execute(delete(Notification).where(Notification.id > self.notifications_from))
        db.session.execute(delete(OutboxEmail).where(OutboxEmail.id > self.outbox_from))
        for ids, column in (
            (self.helper_due, "helper_reminder_due_at"),
            (self.requester_due, "requester_reminder_due_at"),
            (self.check_in_due, "check_in_due_at"),
        ):
            if ids:
                db.session.execute(
                    update(Match.__table__).where(Match.id.in_(ids)).values({column: when})
                )
        db.session.execute(
            update(Answer)
            .where(Answer.id.in_(self.answers_due))
            .values(
                status=AnswerStatus.PENDING,
                responded_at=None,
                expired_at=None,
                decline_reason="",
                expires_at=when,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def due_jobs() -> dict:
    from community.jobs import PERIODIC

    by_name = {job.name: job for job in PERIODIC}
    jobs = {}
    for name in DUE_WORK:
        job = by_name.get(name)
        if job is None:
            continue
        module, _, attribute = job.path.partition(":")
        jobs[name] = getattr(importlib.import_module(module), attribute)
    return jobs


def count_sql(engine, call) -> dict:
    from sqlalchemy import event

    statements: list[tuple[float, str]] = []
    starts: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        starts.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - starts.pop(), " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        begin = time.perf_counter()
        call()
        total = time.perf_counter() - begin
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    slowest = sorted(statements, reverse=True)[:3]
    return {
        "seconds": total,
        "queries": len(statements),
        "sql": sum(seconds for seconds, _ in statements),
        "slowest": [{"seconds": s, "sql": sql[:200]} for s, sql in slowest],
    }


def worker_work(rq_queue) -> float:
    """Run, here and now, the jobs the periodic run just queued (as a worker
    would; not the emails they queue in turn), and return their seconds."""
    if rq_queue is None:
        return 0.0
    from community.db import db

    queued = [rq_queue.fetch_job(job_id) for job_id in rq_queue.job_ids]
    rq_queue.empty()
    begin = time.perf_counter()
    for job in queued:
        if job is not None:
            db.session.remove()
            job.func(*job.args, **job.kwargs)
    elapsed = time.perf_counter() - begin
    rq_queue.empty()  # the emails they queued: sending is not measured here
    return elapsed


def jobs_vs_scan(url: str, *, due: int, rounds: int, redis_url: str, seed_value: int) -> dict:
    from sqlalchemy import select

    from community.db import db
    from community.helping.models import Match, MatchStatus
    from community.jobs import queue

    app = make_app(url, REDIS_URL=redis_url, RQ_QUEUE="bench-waiting")
    jobs = due_jobs()
    with app.app_context():
        sets = DueSets(due, seed_value)
        active = Match.status == MatchStatus.ACTIVE

        def scan_core():
            return db.session.execute(select(Match.__table__).where(active)).all()

        def scan_orm():
            return db.session.scalars(select(Match).where(active)).all()

        def timed(call) -> float:
            db.session.remove()
            begin = time.perf_counter()
            call()
            elapsed = time.perf_counter() - begin
            db.session.rollback()  # the scans read only; the jobs committed already
            return elapsed

        scanned = len(scan_core())
        times: dict[str, list[float]] = {"scan": [], "scan_orm": []}
        for name in jobs:
            for state in ("idle", "due"):
                times[f"{name}:{state}"] = []
        rq_queue = queue()
        done: dict[str, list[int]] = {
            f"{name}:{state}": [] for name in jobs for state in ("idle", "due")
        }
        # One warm-up round, not counted (it also takes whatever came due by
        # the clock since the community was seeded).
        for round_number in range(rounds + 1):
            counted = round_number > 0
            scan = timed(scan_core)
            scan_orm_time = timed(scan_orm)
            if counted:
                times["scan"].append(scan)
                times["scan_orm"].append(scan_orm_time)
            for state in ("idle", "due"):
                for name, job in jobs.items():
                    sets.arm(due=state == "due")
                    if rq_queue is not None:
                        rq_queue.empty()
                    db.session.remove()
                    begin = time.perf_counter()
                    result = job()
                    elapsed = time.perf_counter() - begin
                    if state == "idle":
                        # Whatever came due by the clock since the seeding is
                        # sent, so that the next run finds nothing again.
                        worker_work(rq_queue)
                    elif rq_queue is not None:
                        rq_queue.empty()  # the handed-out work is timed once, below
                    if counted:
                        times[f"{name}:{state}"].append(elapsed)
                        done[f"{name}:{state}"].append(result if isinstance(result, int) else -1)
        # Where a due run's time goes.
        sql, worker = {}, {}
        for name, job in jobs.items():
            sets.arm(due=True)
            if rq_queue is not None:
                rq_queue.empty()
            db.session.remove()
            sql[name] = count_sql(db.engine, job)
            worker[name] = worker_work(rq_queue)
        sets.arm(due=False)
        if rq_queue is not None:
            rq_queue.empty()
        db.session.remove()
        db.engine.dispose()
    medians = {name: median(values) for name, values in times.items()}
    ratios = {
        name: seconds / medians["scan"]
        for name, seconds in medians.items()
        if name not in ("scan", "scan_orm")
    }
    return {
        "jobs": list(jobs),
        "skipped": [name for name in DUE_WORK if name not in jobs],
        "active_matches_scanned": scanned,
        "due_per_kind": due,
        "rounds": rounds,
        "done": {name: median(values) for name, values in done.items() if values},
        "median_seconds": medians,
        "vs_scan": ratios,
        "target": JOB_TARGET,
        "target_met": {name: ratio <= JOB_TARGET for name, ratio in ratios.items()},
        "sql_of_one_due_run": sql,
        "worker_seconds_of_one_due_run": worker,
    }


# --- 2. the waiting page against the board ------------------------------------------


def latency(url: str, repeat: int) -> dict:
    app = make_app(url)
    client = app.test_client()
    login_test_client(client)
    paths = {"waiting": "/waiting", "board": "/requests"}
    pages, sizes = page_timings(client, paths, repeat=repeat, warmup=5, budget=120)
    sql = {name: sql_of_one_request(app, client, path) for name, path in paths.items()}
    return {
        "repetitions": len(pages["waiting"]),
        "page_waiting_median": median(pages["waiting"]),
        "page_board_median": median(pages["board"]),
        "page_ratio": median(pages["waiting"]) / median(pages["board"]),
        "sizes": sizes,
        "sql": sql,
    }


def throughput(url: str, *, threads: int, connections: int, duration: int, rounds: int) -> dict:
    with site_and_hello(url, threads=threads, log_name="gunicorn-waiting") as (site, hello):
        cookie = login_cookie(f"http://{HOST}:{site}")
        check_pages(site, cookie, ["/waiting", "/requests"])
        measured = under_load(
            {
                "waiting": (site, "/waiting", cookie),
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
        "waiting_vs_board": rps["waiting"] / rps["board"],
        "board_vs_hello": rps["board"] / rps["hello"],
        "target": PAGE_TARGET,
        "target_met": rps["waiting"] / rps["board"] >= PAGE_TARGET,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--active", type=int, default=50_000, help="active matches")
    parser.add_argument("--pending", type=int, default=20_000, help="answers awaiting a reply")
    parser.add_argument(
        "--due", type=int, default=20, help="items of each kind due in the 'due' state"
    )
    parser.add_argument("--reseed", action="store_true", help="rebuild the databases")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=7, help="job runs of each state")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6", help="the jobs' queue")
    parser.add_argument("--repeat", type=int, default=50, help="page loads each way")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn --threads")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15, help="seconds of each load run")
    parser.add_argument("--load-rounds", type=int, default=2)
    parser.add_argument("--skip-jobs", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--name", default="waiting", help="results file (bench/results/<name>.json)"
    )
    args = parser.parse_args()
    results = {}
    for engine in args.engines.split(","):
        url = bench_url(engine)
        print(f"{engine}: {url.rsplit('/', 1)[-1]}", flush=True)
        summary = prepare(
            url, active=args.active, pending=args.pending, reseed=args.reseed, seed_value=args.seed
        )
        print(
            f"  {summary['active_matches']:,} active of {summary['matches']:,} matches, "
            f"{summary['pending_answers']:,} answers awaiting a reply; waiting for the bench "
            f"member: {summary['bench_member_waiting']}",
            flush=True,
        )
        results[engine] = {"community": summary}
        if not args.skip_jobs:
            jobs = jobs_vs_scan(
                url, due=args.due, rounds=args.rounds, redis_url=args.redis, seed_value=args.seed
            )
            medians = jobs["median_seconds"]
            print(
                f"  scan of {jobs['active_matches_scanned']:,} active matches: "
                f"{fmt_seconds(medians['scan'])} (ORM objects {fmt_seconds(medians['scan_orm'])})"
                + (f"; not in PERIODIC: {', '.join(jobs['skipped'])}" if jobs["skipped"] else ""),
                flush=True,
            )
            for name in jobs["jobs"]:
                for state in ("idle", "due"):
                    key = f"{name}:{state}"
                    print(
                        f"  {name}, {'nothing due' if state == 'idle' else 'due'}: "
                        f"{fmt_seconds(medians[key])} = {jobs['vs_scan'][key]:.3f} of the scan "
                        f"(target {JOB_TARGET}: "
                        f"{'met' if jobs['target_met'][key] else 'NOT met'})"
                        + f", handed out {jobs['done'][key]}",
                        flush=True,
                    )
                one = jobs["sql_of_one_due_run"][name]
                print(
                    f"    one due run: {one['queries']} queries, {fmt_seconds(one['sql'])} of "
                    f"{fmt_seconds(one['seconds'])}; slowest "
                    f"{fmt_seconds(one['slowest'][0]['seconds'])}: "
                    f"{one['slowest'][0]['sql'][:70]}; the jobs it queued, run after: "
                    f"{fmt_seconds(jobs['worker_seconds_of_one_due_run'][name])}",
                    flush=True,
                )
            results[engine]["jobs"] = jobs
        if not args.skip_latency:
            page = latency(url, args.repeat)
            print(
                f"  page: waiting {fmt_seconds(page['page_waiting_median'])}, board "
                f"{fmt_seconds(page['page_board_median'])}: waiting/board time "
                f"{page['page_ratio']:.2f}",
                flush=True,
            )
            for name, one in page["sql"].items():
                print(
                    f"  sql of one {name}: {one['queries']} queries, {fmt_seconds(one['sql'])} of "
                    f"{fmt_seconds(one['page'])}; slowest "
                    f"{fmt_seconds(one['slowest'][0]['seconds'])}: "
                    f"{one['slowest'][0]['sql'][:100]}",
                    flush=True,
                )
            results[engine]["page"] = page
        if not args.skip_load:
            load = throughput(
                url,
                threads=args.threads,
                connections=args.connections,
                duration=args.duration,
                rounds=args.load_rounds,
            )
            print(
                f"  load: waiting {load['rps']['waiting']:.0f} req/s, board "
                f"{load['rps']['board']:.0f} req/s, hello world {load['rps']['hello']:.0f} req/s:"
                f" waiting/board {load['waiting_vs_board']:.3f} (target {PAGE_TARGET}: "
                f"{'met' if load['target_met'] else 'NOT met'})",
                flush=True,
            )
            results[engine]["load"] = load
    data = {"active": args.active, "due": args.due, "results": results}
    print(f"results: {save_results(args.name, data)}")


if __name__ == "__main__":
    main()
