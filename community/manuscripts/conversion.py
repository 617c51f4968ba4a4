"""Turning an upload (.docx, .md, .txt) or pasted text into chapters of paragraphs.

Rules:

- The kind of file is sniffed from its bytes, never taken from its name or
  the browser's content type: a zip with ``word/document.xml`` is a .docx, an
  OpenDocument zip is refused with a hint, valid UTF-8 without NUL bytes is
  text (Markdown-lite: ``#`` headings, ``*italics*``), anything else is refused.
- A .docx is checked before mammoth opens it: at most ``DOCX_MAX_ENTRIES``
  entries and ``DOCX_MAX_UNCOMPRESSED`` bytes uncompressed (a zip bomb is
  refused from its directory, without inflating anything); no XML part may
  carry a DTD (no entities at all, external or not); no relationship may
  point outside the file except hyperlinks (linked images, templates and
  frames would make the converter reach for another file).
- What mammoth produces is cleaned by nh3 to a small allow-list (paragraphs,
  headings, emphasis, line breaks), then split: a heading or a line of the
  author's own ("Chapter 3", "Prologue") starts a chapter; a paragraph of
  only ``*``, ``#`` or ``~`` (or a rule) is a scene break; footnotes become
  paragraphs at the end of the text, marked with their number.
- Limits (words, chapters) come from the caller; over them is
  :class:`~community.errors.Invalid` with a message that says which.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser

import mammoth
import nh3

from community.errors import Invalid

ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "em", "strong", "br", "hr", "sup", "sub", "ol", "li"}
HEADINGS = {"h1", "h2", "h3", "h4"}
# Dashes of any width (hyphen, en, em), stars, hashes, tildes, bullets.
SCENE_BREAK = re.compile(r"^[\s*#~\u2022\u00b7\u2014\u2013-]{1,20}$")
# The author's own chapter markers: a short line that names a chapter.
MARKER = re.compile(
    r"^(chapter|part|book|prologue|epilogue|interlude)\b[^\n]{0,80}$", re.IGNORECASE
)
EXTERNAL_ALLOWED = "/relationships/hyperlink"
DOCX_MAX_ENTRIES = 500
DOCX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
WORD = re.compile(r"\S+")


@dataclass
class Block:
    kind: str  # text | break
    html: str
    text: str


@dataclass
class Part:
    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def words(self) -> int:
        return sum(len(WORD.findall(block.text)) for block in self.blocks)


@dataclass
class Converted:
    chapters: list[Part]

    @property
    def words(self) -> int:
        return sum(part.words for part in self.chapters)


@dataclass(frozen=True)
class Limits:
    words: int = 250_000
    chapters: int = 200


def convert_upload(data: bytes, limits: Limits = Limits()) -> Converted:
    """Sniff ``data``, convert it, split it; Invalid for anything refused."""
    if data.startswith(b"PK\x03\x04"):
        return _checked(split_html(docx_to_html(data)), limits)
    if b"\x00" in data:
        raise Invalid("That file is not a .docx, .md or .txt file.", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "That file is not a .docx, and not text in UTF-8. Save it as .docx or .txt.",
            field="file",
        ) from None
    return convert_text(text, limits, field_name="file")


def convert_text(text: str, limits: Limits = Limits(), field_name: str = "text") -> Converted:
    """Pasted text, .txt or .md: blank lines separate paragraphs."""
    if not text.strip():
        raise Invalid("There is no text in that.", field=field_name)
    return _checked(split_html(markdown_lite_to_html(text)), limits, field_name)


def _checked(converted: Converted, limits: Limits, field_name: str = "file") -> Converted:
    if not any(part.blocks for part in converted.chapters):
        raise Invalid("We found no text in that.", field=field_name)
    if converted.words > limits.words:
        raise Invalid(
            f"That is {converted.words:,} words; the most we take is {limits.words:,}.",
            field=field_name,
        )
    if len(converted.chapters) > limits.chapters:
        raise Invalid(
            f"That has {len(converted.chapters)} chapters; the most we take is {limits.chapters}.",
            field=field_name,
        )
    return converted


# --- .docx -----------------------------------------------------------------------


def check_docx(data: bytes) -> None:
    """Refuse a .docx that is not safe to hand to the converter (see the module rules)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Invalid("That .docx file is damaged.", field="file") from None
    with archive:
        entries = archive.infolist()
        names = {entry.filename for entry in entries}
        if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
            raise Invalid("OpenDocument files are not taken yet: save it as .docx.", field="file")
        if "word/document.xml" not in names:
            raise Invalid("That zip file is not a Word document.", field="file")
        if len(entries) > DOCX_MAX_ENTRIES:
            raise Invalid("That .docx has too many parts to be a manuscript.", field="file")
        # The sizes in the directory are what inflating may claim; a liar is
        # caught by zipfile itself (it stops at the declared size).
        if sum(entry.file_size for entry in entries) > DOCX_MAX_UNCOMPRESSED:
            raise Invalid("That .docx is far too large once unpacked.", field="file")
        for entry in entries:
            if not entry.filename.endswith((".xml", ".rels")):
                continue
            head = archive.read(entry)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise Invalid("That .docx declares XML entities; we do not open those.", "file")
            if entry.filename.endswith(".rels"):
                for target in re.finditer(rb"<Relationship\b[^>]*>", head):
                    tag = target.group(0)
                    if b'TargetMode="External"' in tag and EXTERNAL_ALLOWED.encode() not in tag:
                        raise Invalid(
                            "That .docx refers to files outside itself (a linked picture "
                            "or template); save a copy without links.",
                            field="file",
                        )


def _no_images(image):
    return {}  # pictures are not kept: the room is for the words


def docx_to_html(data: bytes) -> str:
    check_docx(data)
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            convert_image=mammoth.images.img_element(_no_images),
            style_map="p[style-name='Title'] => h1:fresh",
        )
    except Exception:
        # mammoth raises many kinds of errors on malformed parts.
        raise Invalid("We could not read that .docx file.", field="file") from None
    return result.value


# --- text ------------------------------------------------------------------------


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"<em>\1</em>", text)
    return text


def markdown_lite_to_html(text: str) -> str:
    """Paragraphs separated by blank lines; ``#`` headings; ``*`` and ``**`` emphasis."""
    out = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        # A heading line may sit directly above its first paragraph.
        while lines and re.match(r"^#{1,4}\s+\S", lines[0]):
            level = min(len(lines[0]) - len(lines[0].lstrip("#")), 4)
            out.append(f"<h{level}>{_inline(lines[0][level:].strip())}</h{level}>")
            lines = lines[1:]
        if lines:
            out.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return "\n".join(out)


# --- splitting ----------------------------------------------------------------------


def clean(fragment: str) -> str:
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes={}, link_rel=None)


class _TopLevel(HTMLParser):
    """Collect the top-level elements of cleaned HTML: (tag, inner html, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str, str]] = []
        self.depth = 0
        self.tag = ""
        self.inner: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr"):
            if self.depth == 0:
                self.blocks.append((tag, "", ""))
            else:
                self.inner.append(f"<{tag}>")
                self.text.append("\n" if tag == "br" else "")
            return
        if self.depth == 0:
            self.tag, self.inner, self.text = tag, [], []
        else:
            self.inner.append(f"<{tag}>")
        self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("br", "hr") or self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            self.blocks.append((self.tag, "".join(self.inner), "".join(self.text)))
        else:
            self.inner.append(f"</{tag}>")

    def handle_data(self, data):
        if self.depth == 0:
            if data.strip():
                self.blocks.append(("p", html.escape(data), data))
            return
        self.inner.append(html.escape(data))
        self.text.append(data)


def _list_items(inner: str, numbered: bool) -> list[Block]:
    blocks = []
    for number, item in enumerate(re.findall(r"<li>(.*?)</li>", inner, re.S), start=1):
        item_html = re.sub(r"</?p>", " ", item).strip()
        text = html.unescape(re.sub(r"<[^>]+>", "", item_html)).strip()
        if text:
            prefix = f"[{number}] " if numbered else "• "
            blocks.append(Block("text", html.escape(prefix) + item_html, prefix + text))
    return blocks


def split_html(raw_html: str) -> Converted:
    """Cleaned HTML -> chapters of blocks (see the module rules)."""
    # mammoth's footnote back-links ("↑") mean nothing once links are gone.
    raw_html = re.sub(r"<a [^>]*>\s*↑\s*</a>", "", raw_html)
    parser = _TopLevel()
    parser.feed(clean(raw_html))
    parser.close()
    chapters: list[Part] = []
    current: Part | None = None
    for tag, inner, text in parser.blocks:
        text = text.strip()
        if tag in HEADINGS or (tag == "p" and MARKER.match(text) and "\n" not in text):
            if text:
                current = Part(title=text[:200])
                chapters.append(current)
            continue
        if current is None:
            current = Part(title="Opening")
            chapters.append(current)
        if tag == "hr" or (tag == "p" and text and SCENE_BREAK.match(text)):
            current.blocks.append(Block("break", "* * *", ""))
        elif tag in ("ol", "ul"):
            current.blocks.extend(_list_items(inner, numbered=tag == "ol"))
        elif text:
            current.blocks.append(Block("text", inner.strip(), text))
    chapters = [part for part in chapters if part.blocks] or chapters[:1]
    return Converted(chapters)


def paragraph_keys(texts: list[str]) -> list[str]:
    """Stable ids: a digest of the text, and which repeat of that text it is."""
    seen: dict[str, int] = {}
    keys = []
    for text in texts:
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        keys.append(f"p{digest}-{seen[digest]}")
    return keys
