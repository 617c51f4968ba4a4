"""The reading room at book size: conversion, re-anchoring, and the chapter page.

    .venv/bin/python bench/manuscript.py                 # SQLite, 120k words
    .venv/bin/python bench/manuscript.py --repeat 30

A fresh SQLite database under bench/results (built by the migrations) holds
one manuscript of ``--words`` words in ``--chapters`` chapters, built as a
real .docx with python-docx, with ``--comments`` comments from 5 readers.
Measured in this one run:

1. Converting the .docx (sniff, zip checks, mammoth, nh3, split): wall time
   and peak Python memory (tracemalloc), median of 3.
2. Re-anchoring every comment after a new version that changes one
   paragraph in ten (``service.reanchor``, the pure part), median of 5.
3. The author's chapter page with its comments (``GET
   /manuscripts/<id>/chapters/<n>``) against the request board (``GET
   /requests``) through Flask's test client, interleaved, medians of
   ``--repeat``: the ratio board/chapter is the chapter page's relative
   throughput on one thread (the issue's target: at least 0.8).

Nothing listens on a port; every loop is bounded by its count.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import BENCH_PASSWORD, RESULTS, make_app, save_results

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


def measure_conversion(data: bytes) -> dict:
    from community.manuscripts import conversion

    times, peaks = [], []
    for _ in range(3):
        tracemalloc.start()
        start = time.perf_counter()
        converted = conversion.convert_upload(data, conversion.Limits(words=10**7))
        times.append(time.perf_counter() - start)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return {
        "seconds": statistics.median(times),
        "peak_mb": statistics.median(peaks) / 2**20,
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
    author = UserFactory(email="bench@example.com", password=BENCH_PASSWORD)
    readers = [UserFactory(email=f"reader{n}@example.com") for n in range(5)]
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
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": BENCH_PASSWORD})
    chapter_url = f"/manuscripts/{manuscript_id}/chapters/{position}"
    chapter_times, board_times = [], []
    for _ in range(2):  # warm up
        assert client.get(chapter_url).status_code == 200
        assert client.get("/requests").status_code == 200
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(chapter_url)
        chapter_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get("/requests")
        board_times.append(time.perf_counter() - start)
    chapter, board = statistics.median(chapter_times), statistics.median(board_times)
    return {"chapter_seconds": chapter, "board_seconds": board, "ratio": board / chapter}


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
    app = make_app(f"sqlite:///{database}", WTF_CSRF_ENABLED=False)
    with app.app_context():
        upgrade()
        manuscript_id, position = seed(app, data, book, args.comments)
    results["pages"] = measure_pages(app, manuscript_id, position, args.repeat)
    print("pages:", results["pages"])
    save_results("manuscript", {"args": vars(args), **results})


if __name__ == "__main__":
    main()
