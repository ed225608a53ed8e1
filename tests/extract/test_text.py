"""Readers (text, HTML, Markdown, PDF, stdin) and the sentence splitter."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from cirx.errors import InvalidInput, NotFound
from cirx.extract.text import read_bytes, read_document, sentences, sniff


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with a text layer (Helvetica), built by hand."""
    text = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_pdf_text_layer_is_read_and_wrapped_lines_joined() -> None:
    document = read_bytes(tiny_pdf(["APT28 sent spearphishing emails to", "ministries in Ukraine."]), "r.pdf")
    assert document.format == "pdf"
    assert "APT28 sent spearphishing emails to ministries in Ukraine." in document.text


def test_a_broken_pdf_is_a_clean_error() -> None:
    with pytest.raises(InvalidInput):
        read_bytes(b"%PDF-1.4\nnot really", "x.pdf")


def test_html_drops_scripts_and_keeps_blocks_apart() -> None:
    page = (b"<html><head><title>t</title><script>var a='evil.com';</script></head><body>"
            b"<p>First paragraph.</p><p>Second &amp; last.</p><table><tr><td>a</td><td>b</td></tr></table>"
            b"</body></html>")
    document = read_bytes(page, "r.html")
    assert document.format == "html"
    assert "evil.com" not in document.text
    assert [line for line in document.text.splitlines() if line][:2] == ["First paragraph.", "Second & last."]


def test_markdown_is_rendered_to_text() -> None:
    document = read_bytes(b"# Title\n\nThe [report](https://example.org) says **hello**.\n", "r.md")
    assert document.text.splitlines() == ["Title", "", "The report says hello."]


def test_sniffing_and_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sniff(b"%PDF-1.7") == "pdf"
    assert sniff(b"<!DOCTYPE html><html>") == "html"
    assert sniff(b"plain", "notes.txt") == "text"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"from stdin")))
    assert read_document("-").text == "from stdin"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_document(tmp_path / "none.txt")


def test_sentences_have_offsets_and_respect_abbreviations() -> None:
    text = "The U.S. agency said so, e.g. in a memo. It used evil.com daily!\nA new line starts here"
    cut = list(sentences(text))
    assert [s.text for s in cut] == ["The U.S. agency said so, e.g. in a memo.", "It used evil.com daily!",
                                     "A new line starts here"]
    assert all(text[s.start:s.end] == s.text for s in cut)


def test_overlong_sentences_are_cut() -> None:
    cut = list(sentences("word " * 2000))
    assert len(cut) > 1 and all(len(s.text) <= 2000 for s in cut)
