"""Reading a threat report into plain text, and cutting that text into sentences.

Every offset cirx's extraction reports (indicators, entities, technique
evidence) is a character offset into the text these readers return, so the
readers are deterministic: the same file always gives the same text.

Formats: plain text, HTML (script, style and navigation dropped, block
elements on their own lines), Markdown (rendered with ``markdown-it-py``, then
read as HTML), and PDF (text layer through ``pypdf``; lines wrapped by the
layout are joined again so that sentences are whole).  ``-`` reads stdin and
sniffs the format.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from cirx.errors import InvalidInput, NotFound


def _words(text: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(text.split())

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul", "ol",
          "section", "article", "header", "footer", "blockquote", "dd", "dt", "hr", "figure", "figcaption"}
_CELL = {"td", "th"}
_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "head", "iframe"}
_SUFFIX_FORMAT = {".html": "html", ".htm": "html", ".xhtml": "html", ".md": "markdown",
                  ".markdown": "markdown", ".pdf": "pdf", ".txt": "text", ".text": "text"}


@dataclass(frozen=True)
class Document:
    """A report read into plain text: where it came from, its format, its text."""

    source: str
    format: str
    text: str


class _TextParser(HTMLParser):
    """Collects the visible text of an HTML page, one line per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag in _CELL:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML document, blocks on their own lines."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    return tidy("".join(parser.parts))


def markdown_to_text(source: str) -> str:
    """The text of a Markdown document (rendered, then read as HTML)."""
    from markdown_it import MarkdownIt

    return html_to_text(MarkdownIt("commonmark").enable("table").render(source))


_HYPHEN_WRAP = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
_SOFT_WRAP = re.compile(r"(?<=[^\s.:;!?])\n(?=[a-z0-9(\[])")


def pdf_to_text(data: bytes) -> str:
    """The text layer of a PDF, page by page, with layout line wraps joined."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"cannot read this PDF: {exc}") from exc
    text = "\n\n".join(pages)
    text = _HYPHEN_WRAP.sub("", text)
    return tidy(_SOFT_WRAP.sub(" ", text))


_TRAILING_SPACE = re.compile(r"[ \t\r\f\v]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")
_RUNS = re.compile(r"[ \t\f\v]{2,}")


def tidy(text: str) -> str:
    """Normalise line ends and collapse runs of blanks (no other change)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = _RUNS.sub(" ", text)
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def sniff(data: bytes, name: str = "") -> str:
    """The format of a document: ``pdf``, ``html``, ``markdown`` or ``text``."""
    suffix = Path(name).suffix.lower()
    if data[:5] == b"%PDF-":
        return "pdf"
    if suffix in _SUFFIX_FORMAT:
        return _SUFFIX_FORMAT[suffix]
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head:
        return "html"
    return "text"


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else Windows-1252, never failing."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_bytes(data: bytes, source: str = "<bytes>", fmt: str | None = None) -> Document:
    """Read a document held in memory; ``fmt`` overrides the sniffed format."""
    kind = fmt or sniff(data, source)
    if kind == "pdf":
        text = pdf_to_text(data)
    elif kind == "html":
        text = html_to_text(decode(data))
    elif kind == "markdown":
        text = markdown_to_text(decode(data))
    elif kind == "text":
        text = tidy(decode(data))
    else:
        raise InvalidInput(f"unknown format {kind!r}: use text, html, markdown or pdf")
    return Document(source=source, format=kind, text=text)


def read_document(path: str | Path, fmt: str | None = None) -> Document:
    """Read a report file (or ``-`` for stdin) into plain text."""
    if str(path) == "-":
        return read_bytes(sys.stdin.buffer.read(), "<stdin>", fmt)
    file = Path(path)
    if not file.is_file():
        raise NotFound(f"{file}: no such file")
    return read_bytes(file.read_bytes(), str(file), fmt)


# -- sentences ---------------------------------------------------------------------------------

_ABBREVIATIONS = _words(
    "e.g i.e etc vs fig figs no nos mr mrs ms dr jr sr st inc ltd co corp jan feb mar apr jun jul aug sep "
    "sept oct nov dec approx est al u.s u.k cf ref resp")
# A sentence ends at . ! ? (and closing quotes/brackets) followed by space, or at a line break.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*[ \t]+(?=[\"'“‘(\[]?[A-Z0-9])|\n+")
_WORD_BEFORE = re.compile(r"(\S{1,20})$")
MAX_SENTENCE = 2000


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text and where it lies in the document."""

    start: int
    end: int
    text: str


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` ends an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    found = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    if not found:
        return False
    word = found.group(1).lower().lstrip("([\"'")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentences(text: str) -> Iterator[Sentence]:
    """Cut text into sentences (at most :data:`MAX_SENTENCE` characters each), with their offsets."""
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        if boundary.group()[0] != "\n" and _is_abbreviation(text, boundary.start()):
            continue
        end = boundary.start() if boundary.group()[0] == "\n" else boundary.start() + 1
        yield from _pieces(text, start, end)
        start = boundary.end()
    yield from _pieces(text, start, len(text))


def _pieces(text: str, start: int, end: int) -> Iterator[Sentence]:
    """The stripped sentence text[start:end], cut into pieces when it is overly long."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        yield Sentence(start, cut, text[start:cut])
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield Sentence(start, end, text[start:end])
