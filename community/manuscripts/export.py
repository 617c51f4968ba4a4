"""Comments out of the room: a .docx with real Word comments, or a Markdown report.

Both take the comments the viewer may download (the author: everyone's; a
reader: their own, see ``service.all_comments``). The .docx holds the text
of every chapter that has comments, each paragraph cut into runs at the
edges of the quotes so that every comment is anchored to exactly its quoted
words; notes and comments on an earlier version follow at the end of their
chapter (or of the document) as plain paragraphs.
"""

from __future__ import annotations

import io
import itertools
from collections import defaultdict

import docx
from sqlalchemy import select

from community.db import db
from community.manuscripts.models import Chapter, Comment, Paragraph


def _by_paragraph(comments: list[Comment]):
    anchored: dict[str, list[Comment]] = defaultdict(list)
    loose: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        if comment.kind == "comment" and not comment.earlier_version and comment.chapter_id:
            anchored[comment.paragraph_key].append(comment)
        else:
            loose[None if comment.earlier_version else comment.chapter_id].append(comment)
    return anchored, loose


def _label(comment: Comment) -> str:
    words = comment.body
    for reply in comment.replies:
        words += f"\n— {reply.author.display_name}: {reply.body}"
    return words


def to_docx(manuscript, comments: list[Comment]) -> bytes:
    anchored, loose = _by_paragraph(comments)
    document = docx.Document()
    document.add_heading(f"{manuscript.title}: comments", level=0)
    chapters = db.session.scalars(
        select(Chapter).where(Chapter.manuscript_id == manuscript.id).order_by(Chapter.position)
    ).all()
    paragraphs = defaultdict(list)
    for paragraph in db.session.scalars(
        select(Paragraph)
        .where(Paragraph.manuscript_id == manuscript.id)
        .order_by(Paragraph.chapter_id, Paragraph.position)
    ):
        paragraphs[paragraph.chapter_id].append(paragraph)
    for chapter in chapters:
        rows = paragraphs[chapter.id]
        if not loose.get(chapter.id) and not any(p.key in anchored for p in rows):
            continue
        document.add_heading(chapter.title, level=1)
        for paragraph in rows:
            if paragraph.kind == "break":
                document.add_paragraph("* * *")
                continue
            _write_paragraph(document, paragraph.text, anchored.get(paragraph.key, []))
        for note in loose.get(chapter.id, []):
            document.add_paragraph(f"{note.author.display_name}: {_label(note)}", style="Quote")
    earlier = loose.get(None, [])
    if earlier:
        document.add_heading("On an earlier version", level=1)
        for comment in earlier:
            document.add_paragraph(
                f"{comment.author.display_name} on “{comment.quote}”: {_label(comment)}"
            )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _write_paragraph(document, text: str, comments: list[Comment]) -> None:
    spans = []
    for comment in comments:
        start = text.find(comment.quote) if comment.quote else -1
        if start >= 0:
            spans.append((start, start + len(comment.quote), comment))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    paragraph = document.add_paragraph()
    runs = {}
    for start, end in itertools.pairwise(cuts):
        if end > start:
            runs[start] = (end, paragraph.add_run(text[start:end]))
    for start, end, comment in spans:
        covering = [run for s, (e, run) in sorted(runs.items()) if s >= start and e <= end]
        if covering:
            document.add_comment(
                covering,
                text=_label(comment),
                author=comment.author.display_name,
                initials="".join(w[0] for w in comment.author.display_name.split()[:2]),
            )


def to_markdown(manuscript, comments: list[Comment]) -> str:
    chapters = {
        chapter.id: chapter
        for chapter in db.session.scalars(
            select(Chapter).where(Chapter.manuscript_id == manuscript.id)
        )
    }
    lines = [f"# {manuscript.title}: comments", ""]
    current = object()

    def place(comment):
        chapter = chapters.get(comment.chapter_id)
        return (comment.earlier_version, chapter.position if chapter else 10**9)

    for comment in sorted(comments, key=place):
        chapter = chapters.get(comment.chapter_id) if not comment.earlier_version else None
        if chapter is not current:
            current = chapter
            heading = chapter.title if chapter else "On an earlier version"
            lines += [f"## {heading}", ""]
        who = comment.author.display_name
        if comment.kind == "note":
            lines.append(f"- **{who}** (chapter note): {comment.body}")
        else:
            lines.append(f"- **{who}** on “{comment.quote}”: {comment.body}")
        if comment.resolved_at:
            lines[-1] += " *(resolved)*"
        for reply in comment.replies:
            lines.append(f"  - {reply.author.display_name}: {reply.body}")
    lines.append("")
    return "\n".join(lines)
