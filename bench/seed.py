"""Build a large community fast, for the benchmarks.

    .venv/bin/python bench/seed.py --engine sqlite --volunteers 100k --requests 200k
    .venv/bin/python bench/seed.py --engine postgresql --volunteers 10k

Creates the bench database from scratch (a file under bench/results/ on
SQLite; ``kindred_bench_<size>`` on the PostgreSQL server of
``BENCH_PG_SERVER``, default root@127.0.0.1), runs the migrations (the same
``flask db upgrade`` as production), then bulk-loads:

* one member to log in as (``bench@example.com``), who is not a volunteer;
* N volunteers: users, profiles (about text, stage, timezone, genres), a
  volunteer offer each (capacity, use this month, on-a-break, answer speed,
  matches, helped and received counts), its skills with ``available`` and
  ``rank_score`` computed by community.helping.matching's own
  ``rank_signals``/``weighted`` (as ``refresh_rank`` does), and its genres;
* M help requests in every state, their skills, and their search entries:
  FTS5 rows on SQLite and ``help_request_search`` tsvectors on PostgreSQL,
  written with the SQL of community/helping/search.py's ``index_request``
  (set-based on PostgreSQL: one INSERT ... SELECT per batch).

Request 1 is the benchmarks' probe: "beta reading and critique for a fantasy
novel", a live chat, posted an hour ago, open.

Rows go in batches: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The
content is drawn from a random generator seeded by ``--seed``: the same
arguments give the same community.

``--search-index board`` writes search entries for open and matched requests
only (a proposed indexing rule, seeded so that it can be measured; see
docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import click
from common import (
    BENCH_EMAIL,
    BENCH_PASSWORD,
    RESULTS,
    check_bench_url,
    database_url,
    make_app,
    parse_size,
    size_label,
)

PROBE_REQUEST_ID = 1
BOARD_STATES = ("open", "matched")
BATCH = 5000

SKILL_POPULARITY = {
    "beta-reading": 10,
    "critique": 8,
    "query-letters": 6,
    "developmental-editing": 5,
    "copyediting": 4,
    "synopsis": 4,
    "moral-support": 4,
    "marketing": 3,
    "self-publishing": 3,
    "proofreading": 3,
}
GENRE_POPULARITY = {
    "fantasy": 8,
    "romance": 8,
    "thriller": 6,
    "mystery": 6,
    "literary-fiction": 5,
    "science-fiction": 5,
    "young-adult": 5,
    "memoir": 4,
    "historical-fiction": 4,
}
FIRST = (
    "Ann Raj Maya Tomás Ingrid Kwame Li Sofia Daniel Priya Oliver Amara Hiro Elena Marcus Nadia "
    "Felix Zainab Jonas Chloe Mateo Aisha Ben Yuki Grace Omar Lena Samuel Ifeoma Pablo Rosa"
).split()
LAST = (
    "Okafor Lindqvist Moreau Tanaka Petrova Mensah Chen Rossi Kowalski Sharma Byrne Haddad "
    "Nakamura Silva Fischer Adeyemi Novak Garcia Walsh Ibrahim Larsen Duarte Kaur Murphy"
).split()
TIMEZONES = (
    "Europe/London Europe/Paris Europe/Berlin America/New_York America/Chicago "
    "America/Los_Angeles America/Sao_Paulo Africa/Lagos Africa/Nairobi Asia/Kolkata Asia/Tokyo "
    "Australia/Sydney"
).split()
STAGES = ("drafting", "revising", "querying", "on_submission", "published", "self_published")
# Words of about texts, notes, titles and details, drawn with Zipf
# frequencies in this order: the first words are in most requests,
# "lighthouse" in about one in ten, the last of these in about one in a
# hundred, and a long tail of made-up names (TAIL) in a few each, as in
# real text.
VOCABULARY = """
novel story chapter draft character readers pacing voice plot ending scene dialogue
family love book agent manuscript world magic history secret mother city sea house
village war island winter summer girl boy friend detective murder ship journey home
lighthouse dragon kingdom forest garden letters school river mountain night village
memory grief humour romance revenge betrayal music kitchen recipes farm harbour storm
train castle witch ghost prison hospital teacher nurse soldier pilot painter baker
sister brother daughter father grandmother wedding funeral childhood ocean desert moon
planet robot empire rebellion colony station signal archive library museum market
bakery bookshop cafe theatre circus festival carnival orchard vineyard meadow valley
cliff cave tunnel bridge tower palace temple monastery convent abbey cathedral chapel
harvest drought flood fire earthquake plague famine exile refugee immigrant border
passport language translation poetry essay journal diary notebook typewriter ink
compass map atlas voyage expedition shipwreck pirate smuggler thief spy assassin
heiress duke countess governess butler maid gardener fisherman miner blacksmith
weaver potter glassblower clockmaker beekeeper shepherd falconer ferryman cartographer
astronomer alchemist herbalist midwife apothecary surgeon lawyer judge journalist
photographer violinist dancer actress magician acrobat juggler puppeteer ventriloquist
""".split()


SYLLABLES = "bra len tor mi sa ve dun kel ros ith ga no pel vin sho mar tu lek fi dor".split()
TAIL = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("n", "th", "ra", "wen", "ick")][
    :3000
]


def _zipf_weights(count: int) -> list[float]:
    return [1 / (rank + 1) for rank in range(count)]


class Writer:
    """Bulk rows into one database: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.connection = self.raw.driver_connection
        if self.dialect == "sqlite":
            cursor = self.connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")
            cursor.close()

    def ts(self, moment: datetime | None):
        """A timestamp as the column stores it (SQLAlchemy's SQLite format, or timestamptz)."""
        if moment is None or self.dialect != "sqlite":
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value):
        return value.isoformat() if value is not None and self.dialect == "sqlite" else value

    def rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in columns)
            self.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        else:
            with (
                self.connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)

    def execute(self, sql: str, params: Any = ()) -> None:
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        cursor.close()

    def scalar(self, sql: str):
        cursor = self.connection.cursor()
        cursor.execute(sql)
        value = cursor.fetchone()[0]
        cursor.close()
        return value

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.raw.close()


def recreate(url: str) -> None:
    """Start from an empty database."""
    check_bench_url(url)
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        RESULTS.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


class Community:
    """Draws the rows of a community from one seeded generator."""

    def __init__(self, writer: Writer, skills, genres, seed: int):
        from community.helping.capacity import current_month, is_available
        from community.helping.rank import rank_signals, weighted

        self.w = writer
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.month = current_month()
        self.skills = skills  # [(id, slug, name)]
        self.genres = genres
        self.skill_weights = [SKILL_POPULARITY.get(slug, 2) for _, slug, _ in skills]
        self.genre_weights = [GENRE_POPULARITY.get(slug, 2) for _, slug, _ in genres]
        vocabulary = list(dict.fromkeys(VOCABULARY + TAIL))
        self.words = vocabulary
        self.word_cum = list(_cumulative(_zipf_weights(len(vocabulary))))
        self.rank_signals, self.weighted, self.is_available = rank_signals, weighted, is_available

    # --- helpers ----------------------------------------------------------------

    def pick(self, population, weights, k: int) -> list:
        chosen: dict = {}
        while len(chosen) < k:
            item = self.rng.choices(population, weights)[0]
            chosen[item[0]] = item
        return list(chosen.values())

    def text(self, count: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.word_cum, k=count))

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # --- volunteers -------------------------------------------------------------

    def volunteers(self, first_id: int, count: int) -> dict[str, list[tuple]]:
        rng, ts = self.rng, self.w.ts
        out: dict[str, list[tuple]] = {
            key: [] for key in ("users", "profiles", "profile_genres", "offers", "skills", "genres")
        }
        for user_id in range(first_id, first_id + count):
            joined = self.ago(rng.uniform(30, 1000))
            last_seen = self.ago(min(rng.expovariate(1 / 12), 400))
            out["users"].append(
                (
                    user_id,
                    f"volunteer{user_id}@bench.example",
                    f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "!",  # no password: nobody logs in as a generated volunteer
                    ts(joined + timedelta(hours=2)),
                    False,
                    ts(joined),
                    ts(last_seen),
                )
            )
            genres = self.pick(self.genres, self.genre_weights, rng.randint(1, 3))
            genre_name = genres[0][2].lower()
            about = (
                f"I write {genre_name}. {self.text(rng.randint(12, 30))}. "
                f"{self.text(rng.randint(5, 15))}."
            )
            out["profiles"].append(
                (
                    user_id,
                    user_id,
                    about,
                    rng.choice(STAGES),
                    rng.choice(TIMEZONES),
                    ts(self.ago(rng.uniform(0, 200))),
                )
            )
            out["profile_genres"].extend((user_id, genre[0]) for genre in genres)

            capacity = rng.choice((1, 2, 2, 2, 3, 3, 4, 5, 6))
            used = min(capacity, int(rng.expovariate(1.2)))
            answers = int(rng.expovariate(1 / 6))
            offer = SimpleNamespace(
                user=SimpleNamespace(last_seen_at=last_seen),
                monthly_capacity=capacity,
                capacity_month=self.month,
                capacity_used=used,
                on_break=rng.random() < 0.08,
                answers_given=answers,
                avg_response_hours=rng.lognormvariate(math.log(20), 1) if answers else None,
                recent_matches=min(int(rng.expovariate(0.9)), 8),
                received_count=min(int(rng.expovariate(1.0)), 6),
                updated_at=self.ago(rng.uniform(0, 90)),
            )
            # The measured reliability figures the rank reads
            # (community.helping.reliability), from a stream of their own so
            # that the rest of the community is what it was before them.
            measured = random.Random(user_id)
            replies = int(measured.expovariate(1 / 4))
            first_messages = int(measured.expovariate(1 / 3))
            offer.invitations_replied = replies
            offer.invitations_missed = int(measured.expovariate(1.5))
            offer.first_messages = first_messages
            offer.first_messages_missed = int(measured.expovariate(2))
            offer.first_message_hours = (
                round(measured.lognormvariate(math.log(18), 1), 2) if first_messages else None
            )
            offer.helps_thanked = int(measured.expovariate(1 / 3))
            offer.helps_not_thanked = int(measured.expovariate(2))
            helped = offer.recent_matches + int(rng.expovariate(0.5))
            rank = round(self.weighted(self.rank_signals(offer, self.now)), 6)
            available = self.is_available(offer)
            out["offers"].append(
                (
                    user_id,
                    capacity,
                    self.text(rng.randint(0, 20)),
                    offer.on_break,
                    self.month,
                    used,
                    answers,
                    offer.avg_response_hours,
                    offer.recent_matches,
                    helped,
                    offer.received_count,
                    rank,
                    ts(joined + timedelta(days=1)),
                    ts(offer.updated_at),
                    offer.invitations_replied,
                    offer.invitations_missed,
                    offer.first_messages,
                    offer.first_messages_missed,
                    offer.first_message_hours,
                    offer.helps_thanked,
                    offer.helps_not_thanked,
                )
            )
            for skill in self.pick(self.skills, self.skill_weights, rng.randint(1, 4)):
                out["skills"].append((user_id, skill[0], available, rank))
            for genre in self.pick(self.genres, self.genre_weights, rng.randint(1, 3)):
                out["genres"].append((user_id, genre[0]))
        return out

    # --- requests ---------------------------------------------------------------

    FORMATS = ("written", "live_chat", "call")
    TITLES = (
        "{skill} for my {genre} {noun}",
        "Looking for {skill} help: a {genre} {noun} about a {word}",
        "{skill}, please! My {genre} {noun} and its {word}",
        "Help with {skill} for a {noun} about the {word}",
    )
    NOUNS = ("novel", "novella", "memoir", "manuscript", "story collection", "proposal", "book")
    SPAN_DAYS = 730
    # As on a real site: requests of the last month are mostly open; older ones
    # have ended, but for the few kept open (and long matches).
    RECENT = (("open", 60), ("matched", 20), ("completed", 5), ("closed", 15))
    OLDER = (("completed", 45), ("closed", 25), ("expired", 25), ("matched", 3), ("open", 2))

    def requests(
        self, first_id: int, count: int, max_user: int, total: int
    ) -> dict[str, list[tuple]]:
        """Requests ``first_id`` on; ids follow posting time, as they do on a real site."""
        rng, ts = self.rng, self.w.ts
        out: dict[str, list[tuple]] = {"requests": [], "skills": [], "search": []}
        start = self.now - timedelta(days=self.SPAN_DAYS)
        for request_id in range(first_id, first_id + count):
            if request_id == PROBE_REQUEST_ID:
                self._probe(out)
                continue
            created = start + timedelta(days=self.SPAN_DAYS * (request_id - rng.random()) / total)
            age_days = (self.now - created).total_seconds() / 86400
            states = self.RECENT if age_days <= 30 else self.OLDER
            status = rng.choices([s for s, _ in states], [w for _, w in states])[0]
            skills = self.pick(self.skills, self.skill_weights, rng.choice((1, 1, 2, 2, 3)))
            genre = self.pick(self.genres, self.genre_weights, 1)[0]
            helpers = rng.choices((1, 2, 3, 4, 5), (70, 15, 10, 3, 2))[0]
            places = {
                "open": rng.randint(0, helpers - 1),
                "matched": helpers,
                "completed": rng.randint(1, helpers),
                "closed": rng.randint(0, helpers),
                "expired": 0,
            }[status]
            if status == "open":  # active within the expiry month
                activity = max(created, self.now - timedelta(days=rng.uniform(0, 25)))
            else:
                activity = created + timedelta(days=rng.uniform(0, min(age_days, 20)))
            ended = activity + timedelta(days=rng.uniform(0, 30)) if status != "open" else None
            if ended is not None and ended > self.now:
                ended = self.now
            title = rng.choice(self.TITLES).format(
                skill=skills[0][2],
                genre=genre[2].lower(),
                noun=rng.choice(self.NOUNS),
                word=self.text(1),
            )[:120]
            details = (
                f"{self.text(rng.randint(10, 25))}. {self.text(rng.randint(10, 25))}. "
                f"I would love {skills[0][2].lower()} from someone who reads {genre[2].lower()}."
            )
            out["requests"].append(
                (
                    request_id,
                    rng.randint(2, max_user),
                    title,
                    details,
                    genre[0],
                    rng.choices(self.FORMATS, (70, 15, 15))[0],
                    rng.choice(("about an hour", "a few chapters", "an 80k-word manuscript", "")),
                    None,
                    helpers,
                    places,
                    status,
                    ts(created),
                    ts(activity),
                    ts(activity),
                    None,
                    ts(ended),
                )
            )
            out["skills"].extend((request_id, skill[0]) for skill in skills)
            out["search"].append((request_id, title, details, status))
        return out

    def _probe(self, out) -> None:
        ts = self.w.ts
        by_slug = {slug: skill_id for skill_id, slug, _ in self.skills}
        fantasy = next(genre_id for genre_id, slug, _ in self.genres if slug == "fantasy")
        title = "Beta readers for my fantasy novel about a lighthouse keeper"
        details = (
            "A 90k-word fantasy novel about a lighthouse keeper's apprentice and a sleeping sea "
            "god. I would love readers who tell me where the pacing drags, and a critique of "
            "the first three chapters over a live chat."
        )
        created = self.now - timedelta(hours=1)
        out["requests"].append(
            (
                PROBE_REQUEST_ID,
                2,
                title,
                details,
                fantasy,
                "live_chat",
                "a 90k-word manuscript",
                None,
                3,
                0,
                "open",
                ts(created),
                ts(created),
                ts(created),
                None,
                None,
            )
        )
        out["skills"] += [(1, by_slug["beta-reading"]), (1, by_slug["critique"])]
        out["search"].append((PROBE_REQUEST_ID, title, details, "open"))


def _cumulative(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


USER_COLUMNS = (
    "id",
    "email",
    "display_name",
    "password_hash",
    "email_verified_at",
    "is_admin",
    "created_at",
    "last_seen_at",
)
PROFILE_COLUMNS = ("id", "user_id", "about", "stage", "timezone", "updated_at")
OFFER_COLUMNS = (
    "user_id",
    "monthly_capacity",
    "note",
    "on_break",
    "capacity_month",
    "capacity_used",
    "answers_given",
    "avg_response_hours",
    "recent_matches",
    "helped_count",
    "received_count",
    "rank_score",
    "created_at",
    "updated_at",
    "invitations_replied",
    "invitations_missed",
    "first_messages",
    "first_messages_missed",
    "first_message_hours",
    "helps_thanked",
    "helps_not_thanked",
)
REQUEST_COLUMNS = (
    "id",
    "requester_id",
    "title",
    "details",
    "genre_id",
    "format",
    "effort",
    "deadline",
    "helpers_wanted",
    "places_taken",
    "status",
    "created_at",
    "updated_at",
    "last_activity_at",
    "reminder_sent_at",
    "ended_at",
)


def seed(
    url: str, volunteers: int, request_count: int, seed_value: int, search_index: str = "all"
) -> dict[str, Any]:
    """Seed the database at ``url``. ``search_index="board"`` indexes only the requests
    the board can show (open and matched), to measure that alternative rule."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from community.accounts.passwords import hash_password
    from community.db import db

    started = time.perf_counter()
    recreate(url)
    app = make_app(url)
    with app.app_context():
        upgrade()
        engine = db.engine
        with engine.connect() as connection:
            skills = connection.execute(text("SELECT id, slug, name FROM skills ORDER BY id")).all()
            genres = connection.execute(text("SELECT id, slug, name FROM genres ORDER BY id")).all()
        password_hash = hash_password(BENCH_PASSWORD)
        writer = Writer(engine)
        community = Community(
            writer, [tuple(s) for s in skills], [tuple(g) for g in genres], seed_value
        )
        now = community.now
        dialect = writer.dialect
        writer.rows(
            "users",
            USER_COLUMNS,
            [
                (
                    1,
                    BENCH_EMAIL,
                    "Bench Reader",
                    password_hash,
                    writer.ts(now),
                    False,
                    writer.ts(now),
                    None,
                )
            ],
        )
        writer.rows(
            "profiles", PROFILE_COLUMNS, [(1, 1, "", None, "Europe/London", writer.ts(now))]
        )
        writer.commit()

        total = volunteers + request_count
        with click.progressbar(
            length=total, label=f"Seeding {dialect} {size_label(volunteers)}", show_eta=True
        ) as bar:
            for first in range(0, volunteers, BATCH):
                count = min(BATCH, volunteers - first)
                rows = community.volunteers(first + 2, count)
                writer.rows("users", USER_COLUMNS, rows["users"])
                writer.rows("profiles", PROFILE_COLUMNS, rows["profiles"])
                writer.rows("profile_genres", ("profile_id", "genre_id"), rows["profile_genres"])
                writer.rows("volunteer_offers", OFFER_COLUMNS, rows["offers"])
                writer.rows(
                    "offer_skills",
                    ("user_id", "skill_id", "available", "rank_score"),
                    rows["skills"],
                )
                writer.rows("offer_genres", ("user_id", "genre_id"), rows["genres"])
                writer.commit()
                bar.update(count)
            for first in range(0, request_count, BATCH):
                count = min(BATCH, request_count - first)
                rows = community.requests(first + 1, count, volunteers + 1, request_count)
                writer.rows("help_requests", REQUEST_COLUMNS, rows["requests"])
                writer.rows("request_skills", ("request_id", "skill_id"), rows["skills"])
                if dialect == "sqlite":
                    # search.index_request's INSERT, for a batch of new requests.
                    writer.connection.executemany(
                        "INSERT INTO help_request_fts (rowid, title, details) VALUES (?, ?, ?)",
                        [
                            (request_id, title, details)
                            for request_id, title, details, status in rows["search"]
                            if search_index == "all" or status in BOARD_STATES
                        ],
                    )
                else:
                    # search.index_request's document, set-based for the batch.
                    writer.execute(
                        "INSERT INTO help_request_search (request_id, document) "
                        "SELECT id, setweight(to_tsvector('english', title), 'A') || "
                        "to_tsvector('english', details) FROM help_requests "
                        "WHERE id BETWEEN %s AND %s"
                        + ("" if search_index == "all" else " AND status IN ('open', 'matched')"),
                        (first + 1, first + count),
                    )
                writer.commit()
                bar.update(count)
        click.echo("Analyzing...")
        if dialect == "postgresql":
            for table in ("users", "profiles", "help_requests"):
                writer.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            writer.commit()
            writer.connection.autocommit = True
            writer.execute("VACUUM ANALYZE")
        else:
            writer.execute("ANALYZE")
            writer.commit()
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        summary = {
            "engine": dialect,
            "url": url,
            "volunteers": writer.scalar("SELECT count(*) FROM volunteer_offers"),
            "available": writer.scalar(
                "SELECT count(DISTINCT user_id) FROM offer_skills WHERE available"
            ),
            "offer_skills": writer.scalar("SELECT count(*) FROM offer_skills"),
            "requests": writer.scalar("SELECT count(*) FROM help_requests"),
            "open": writer.scalar("SELECT count(*) FROM help_requests WHERE status = 'open'"),
            "search_rows": writer.scalar(
                "SELECT count(*) FROM "
                + ("help_request_fts" if dialect == "sqlite" else "help_request_search")
            ),
            "seconds": round(time.perf_counter() - started, 1),
        }
        writer.close()
        db.engine.dispose()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--volunteers", default="10k", help="e.g. 1k, 10k, 100k")
    parser.add_argument("--requests", default="200k")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="a database URL instead of the default bench database")
    parser.add_argument(
        "--search-index",
        choices=("all", "board"),
        default="board",
        help="board: only open and matched requests, as the application indexes them; "
        "all: every request (the earlier rule, to compare)",
    )
    args = parser.parse_args()
    volunteers, request_count = parse_size(args.volunteers), parse_size(args.requests)
    url = args.url or database_url(args.engine, volunteers)
    summary = seed(url, volunteers, request_count, args.seed, args.search_index)
    click.echo(
        f"Seeded {summary['engine']} ({url.rsplit('/', 1)[-1]}): "
        f"{summary['volunteers']:,} volunteers ({summary['available']:,} available, "
        f"{summary['offer_skills']:,} offer skills), {summary['requests']:,} requests "
        f"({summary['open']:,} open, {summary['search_rows']:,} search entries) "
        f"in {summary['seconds']:.0f} s."
    )


if __name__ == "__main__":
    main()
