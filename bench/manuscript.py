"""The reading room at book size: conversion, re-anchoring, and the chapter page.

    .venv/bin/python bench/manuscript.py                 # SQLite, 120k words
    .venv/bin/python bench/manuscript.py --repeat 30

A fresh SQLite database under bench/results (built by the migrations) holds
one manuscript of ``--words`` words in ``--chapters`` chapters, built as a
real .docx with python-docx, with ``--comments`` comments from 5 readers.
Measured in this one run:

1. Converting the .docx (sniff, zip checks, mammoth, nh3, split): wall time,
   median of 3; peak Python memory (tracemalloc, a fourth run, untimed); the
   peak resident memory of a fresh process converting it once.
2. Re-anchoring every comment after a new version that changes one
   paragraph in ten (``service.reanchor``, the pure part), median of 5.
3. The author's chapter page with everyone's comments, and a reader's with
   their own (``GET /manuscripts/<id>/chapters/<n>``), each against the
   request board (``GET /requests``) through Flask's test client with the
   shared harness (bench/harness.py), interleaved, medians of ``--repeat``:
   the ratio board/chapter is the chapter page's relative throughput on one
   thread (the issue's target: at least 0.8). Also each page's SQL count.

Nothing listens on a port; every loop is bounded by its count.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BENCH_EMAIL, BENCH_PASSWORD, RESULTS, make_app, save_results
from harness import login_test_client, page_timings, sql_of_one_request

WORDS = "the keeper lamp sea night ship letter wax green stair rain ink island winter".split()


def build_book(words: int, chapters: int, seed: int = 7) -> tuple[bytes, list[list[str]]]:
    import docx

    rng = random.Random(seed)
    per_chapter = words // chapters
    document = docx.Document()
    book = []
    for number in range(1, chapters + 1):
        document.add_heading(f"Chapter {number}", level=1)
        paragraphs, left = [], per_chapter
        while left > 0:
            size = min(left, rng.randint(40, 120))
            text = (
                " ".join(rng.choice(WORDS) for _ in range(size)) + f" ({number}.{len(paragraphs)})"
            )
            paragraphs.append(text)
            paragraph = document.add_paragraph(text[:20])
            paragraph.add_run(text[20:40]).italic = True
            paragraph.add_run(text[40:])
            left -= size
        book.append(paragraphs)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), book


# /proc/self/status after the imports, and its high-water mark after converting
# (reset first: a child's ru_maxrss carries its parent's, from before exec).
CONVERT_IN_CHILD = """
import re, sys
from community.manuscripts import conversion
def status(key):
    return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))
data = open(sys.argv[1], "rb").read()
open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS")
conversion.convert_upload(data, conversion.Limits(words=10**7))
print(before, status("VmHWM"))
"""


def measure_conversion(data: bytes) -> dict:
    """Wall time (median of 3, untraced), peak Python memory (tracemalloc, one
    more run: tracing triples the time, so it is not timed), and the peak
    resident memory of a fresh process that imports the converter and converts
    once (what a web or worker process would need for it)."""
    from community.manuscripts import conversion

    limits = conversion.Limits(words=10**7)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        converted = conversion.convert_upload(data, limits)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    conversion.convert_upload(data, limits)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    book = RESULTS / "manuscript-book.docx"
    book.write_bytes(data)
    child = subprocess.run(
        [sys.executable, "-c", CONVERT_IN_CHILD, str(book)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=600,
    )
    before_kb, after_kb = (int(value) for value in child.stdout.split())
    return {
        "seconds": statistics.median(times),
        "seconds_each": times,
        "peak_mb": peak / 2**20,
        "process_peak_rss_mb": after_kb / 1024,
        "rss_growth_mb": (after_kb - before_kb) / 1024,
        "words": converted.words,
        "chapters": len(converted.chapters),
        "docx_kb": len(data) / 1024,
    }


def measure_reanchor(book: list[list[str]], comments: int) -> dict:
    from community.manuscripts import conversion, service

    rng = random.Random(3)
    texts = [text for chapter in book for text in chapter]
    keys = conversion.paragraph_keys(texts)
    changed = [text + " (revised)" if i % 10 == 0 else text for i, text in enumerate(texts)]
    new = list(zip(conversion.paragraph_keys(changed), changed, strict=True))
    times, kept = [], 0
    for _ in range(5):
        rows = []
        for _ in range(comments):
            index = rng.randrange(len(texts))
            rows.append(
                SimpleNamespace(
                    paragraph_key=keys[index],
                    paragraph_text=texts[index],
                    quote=texts[index][5:30],
                    earlier_version=False,
                )
            )
        start = time.perf_counter()
        kept = service.reanchor(rows, new)
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "kept": kept, "comments": comments}


def seed(app, data: bytes, book, comments: int):
    from sqlalchemy import select

    from community.db import db
    from community.helping import answers, matches, offers, requests
    from community.manuscripts import conversion, service
    from community.manuscripts.models import Paragraph
    from community.profiles.models import Skill
    from tests.factories import UserFactory

    rng = random.Random(5)
    author = UserFactory(email=BENCH_EMAIL, password=BENCH_PASSWORD)
    readers = [
        UserFactory(email=f"reader{n}@example.com", password=BENCH_PASSWORD) for n in range(5)
    ]
    db.session.commit()
    skill = db.session.scalar(select(Skill.id).where(Skill.slug == "beta-reading"))
    request = requests.post_request(
        author,
        requests.RequestInput(
            title="Beta readers for my long novel",
            details="A long fantasy novel; I would love notes on everything, chapter by chapter.",
            skill_ids=[skill],
            genre_id=None,
            format="written",
            effort="many hours",
            deadline=None,
            helpers_wanted=5,
        ),
    )
    limits = conversion.Limits(words=10**7, chapters=1000)
    manuscript = service.add_manuscript(
        author, request, "Bench", conversion.convert_upload(data, limits)
    )
    for reader in readers:
        offers.save_offer(reader, offers.OfferInput([skill], [], 5, "", False))
        match = matches.accept_answer(author, answers.answer_request(reader, request, "Gladly!"))
        service.invite_reader(author, manuscript, match.id)
    db.session.commit()
    chapter = manuscript.chapters[0]
    paragraphs = db.session.execute(
        select(Paragraph.key, Paragraph.text, Paragraph.chapter_id).where(
            Paragraph.manuscript_id == manuscript.id
        )
    ).all()
    chapters = {c.id: c for c in manuscript.chapters}
    accesses = [service.access_manuscript(r, manuscript.id) for r in readers]
    # Comments fall on the chapters evenly; the measured chapter gets its share.
    for number in range(comments):
        key, text, chapter_id = rng.choice(paragraphs)
        service.add_comment(
            accesses[number % 5], chapters[chapter_id], key, text[5:25], f"Comment {number}"
        )
        if number % 200 == 0:
            db.session.commit()
    db.session.commit()
    return manuscript.id, chapter.position


def measure_pages(app, manuscript_id: int, position: int, repeat: int) -> dict:
    """The author's and a reader's chapter page against the board, interleaved,
    with CSRF on (every form carries its token, as in production)."""
    chapter_url = f"/manuscripts/{manuscript_id}/chapters/{position}"
    results = {}
    for who, email in (("author", BENCH_EMAIL), ("reader", "reader0@example.com")):
        client = app.test_client()
        login_test_client(client, email)
        paths = {"chapter": chapter_url, "board": "/requests"}
        timed, sizes = page_timings(client, paths, repeat=repeat, warmup=2, budget=300)
        chapter, board = statistics.median(timed["chapter"]), statistics.median(timed["board"])
        results[who] = {
            "chapter_seconds": chapter,
            "board_seconds": board,
            "ratio": board / chapter,
            "chapter_bytes": sizes["chapter"],
            "chapter_statements": sql_of_one_request(app, client, chapter_url)["queries"],
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=120_000)
    parser.add_argument("--chapters", type=int, default=40)
    parser.add_argument("--comments", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    data, book = build_book(args.words, args.chapters)
    results = {"conversion": measure_conversion(data)}
    print("conversion:", results["conversion"])
    results["reanchor"] = measure_reanchor(book, args.comments)
    print("re-anchoring:", results["reanchor"])

    from flask_migrate import upgrade

    RESULTS.mkdir(parents=True, exist_ok=True)
    database = RESULTS / "manuscript.sqlite3"
    database.unlink(missing_ok=True)
    # Trust limits would stop one author accepting five readers in a minute.
    app = make_app(f"sqlite:///{database}", TRUST_LIMITS=False)
    with app.app_context():
        upgrade()
        manuscript_id, position = seed(app, data, book, args.comments)
    results["pages"] = measure_pages(app, manuscript_id, position, args.repeat)
    print("pages:", results["pages"])
    save_results("manuscript", {"args": vars(args), **results})


if __name__ == "__main__":
    main()
