"""Converting real .docx files (built with python-docx), text and hostile uploads."""

from __future__ import annotations

import io
import zipfile

import pytest

from community.errors import Invalid
from community.manuscripts import conversion
from tests.manuscripts.conftest import BOOK, build_docx, rewrite_docx


def test_headings_make_chapters_and_paragraphs_keep_italics():
    converted = conversion.convert_upload(build_docx(BOOK, italic="green"))
    assert [part.title for part in converted.chapters] == list(BOOK)
    first = converted.chapters[0].blocks
    assert [block.kind for block in first] == ["text", "text", "break", "text"]
    assert first[3].html == "Then the letter arrived, sealed in <em>green</em> wax."
    assert first[3].text == "Then the letter arrived, sealed in green wax."
    assert converted.words == sum(len(" ".join(p).split()) for p in BOOK.values()) - 1


def test_author_markers_make_chapters_without_headings():
    data = build_docx({"Prologue": ["A storm."]})
    text = "Chapter 1: Dawn\n\nIt began *quietly*.\n\n#\n\nChapter 2\n\nThen **loudly**."
    converted = conversion.convert_text(text)
    assert [part.title for part in converted.chapters] == ["Chapter 1: Dawn", "Chapter 2"]
    assert converted.chapters[0].blocks[0].html == "It began <em>quietly</em>."
    assert converted.chapters[0].blocks[1].kind == "break"
    assert conversion.convert_upload(data).chapters[0].title == "Prologue"


def test_markup_in_the_text_is_text_and_html_is_cleaned():
    converted = conversion.convert_text('<script>alert(1)</script> and <a href="x">link</a>')
    block = converted.chapters[0].blocks[0]
    assert "<script" not in block.html and "<a" not in block.html
    assert "&lt;script&gt;" in block.html
    assert conversion.clean('<p onclick="x()">hi <img src=x><script>bad()</script></p>') == (
        "<p>hi </p>"
    )


FOOTNOTES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b'<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    b'<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
    b"</w:r></w:p></w:footnote>"
    b'<w:footnote w:id="1"><w:p><w:r><w:t>A lighthouse has a keeper.</w:t></w:r></w:p>'
    b"</w:footnote></w:footnotes>"
)


def _with_footnote(name, body):
    if name is None:
        return {"word/footnotes.xml": FOOTNOTES}
    if name == "word/document.xml":
        return body.replace(
            b"<w:t>Nobody came to the island in winter.</w:t></w:r>",
            b"<w:t>Nobody came to the island in winter.</w:t></w:r>"
            b'<w:r><w:footnoteReference w:id="1"/></w:r>',
        )
    if name == "word/_rels/document.xml.rels":
        return body.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdFn1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>',
        )
    if name == "[Content_Types].xml":
        return body.replace(
            b"</Types>",
            b'<Override PartName="/word/footnotes.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
        )
    return body


def test_footnotes_become_numbered_paragraphs_at_the_end():
    data = rewrite_docx(build_docx(BOOK), _with_footnote)
    converted = conversion.convert_upload(data)
    texts = [block.text for block in converted.chapters[-1].blocks]
    assert texts[-1].startswith("[1] A lighthouse has a keeper.")
    assert "↑" not in texts[-1]
    assert "[1]" in converted.chapters[0].blocks[1].text  # the reference in the text


def test_a_zip_bomb_is_refused_from_its_directory():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        archive.writestr("word/padding.xml", b"\0" * (conversion.DOCX_MAX_UNCOMPRESSED + 1))
    assert len(bomb.getvalue()) < 200_000  # small on the wire, huge unpacked
    with pytest.raises(Invalid, match="far too large"):
        conversion.convert_upload(bomb.getvalue())


def test_too_many_entries_are_refused():
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("word/document.xml", b"<w:document/>")
        for number in range(conversion.DOCX_MAX_ENTRIES):
            archive.writestr(f"word/media/{number}.bin", b"")
    with pytest.raises(Invalid, match="too many parts"):
        conversion.convert_upload(many.getvalue())


def test_external_entities_and_references_are_refused():
    def entity(name, body):
        if name == "word/document.xml":
            return body.replace(
                b"?>",
                b'?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                1,
            )
        return None if name is None else body

    with pytest.raises(Invalid, match="entities"):
        conversion.convert_upload(rewrite_docx(build_docx(BOOK), entity))

    def linked(name, body):
        if name == "word/_rels/document.xml.rels":
            return body.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/image" Target="http://evil.example/x.png" '
                b'TargetMode="External"/></Relationships>',
            )
        return None if name is None else body

    with pytest.raises(Invalid, match="outside itself"):
        conversion.convert_upload(rewrite_docx(build_docx(BOOK), linked))


def test_huge_texts_and_other_files_are_refused_clearly():
    huge = build_docx({"One": ["word " * 3000]})
    with pytest.raises(Invalid, match="3,000 words; the most we take is 1,000"):
        conversion.convert_upload(huge, conversion.Limits(words=1000))
    with pytest.raises(Invalid, match="chapters"):
        conversion.convert_upload(build_docx(BOOK), conversion.Limits(chapters=2))
    with pytest.raises(Invalid, match=r"not a \.docx"):
        conversion.convert_upload(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(Invalid):
        conversion.convert_upload(b"\xff\xfe\xfa not utf-8")
    with pytest.raises(Invalid, match="damaged"):
        conversion.convert_upload(b"PK\x03\x04 not really a zip")
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text")
    with pytest.raises(Invalid, match="OpenDocument"):
        conversion.convert_upload(odt.getvalue())


def test_paragraph_keys_are_stable_and_distinct():
    keys = conversion.paragraph_keys(["a", "b", "a"])
    assert len(set(keys)) == 3
    assert conversion.paragraph_keys(["x", "a", "b", "a"])[1:] == keys
