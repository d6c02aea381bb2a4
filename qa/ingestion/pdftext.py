"""Text extracted from a PDF -> paragraph blocks with pages, headings and footnotes.

``split_pages`` recovers page numbers from the text's own markers (for a .txt holding
extracted text); ``pdf_blocks`` turns pages of lines into ``Block`` paragraphs and is
used for real PDFs too, where pypdf gives the pages exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.ingestion import cleaning
from qa.ingestion.layout import Block


@dataclass(frozen=True)
class Page:
    """The lines of one page; ``label`` is its 1-based number as text, or "" if unknown."""

    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Chunk:
    lines: tuple[str, ...]
    after_footer: bool
    footer: tuple[int, int] | None  # (page, total) of the footer that closes it


def split_pages(raw: str) -> list[Page]:
    """Split extracted text into pages using its markers and return them in order.

    A footer "Page N of M" closes page N and the text after it starts page N+1; a line
    beginning with a space starts a page. Pages between footers N and M are numbered
    only when exactly M-N-1 markers lie between them; pages before the first footer are
    counted back from it (never below 1), pages after the last one forward (never past M).
    What the markers cannot settle gets label "". Footer lines are dropped.
    """
    chunks = _chunks(raw.split("\n"))
    labels = _number(chunks)
    return [Page(label, chunk.lines) for label, chunk in zip(labels, chunks)]


def _chunks(lines: list[str]) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    current: list[str] = []
    after_footer = False

    def close(footer: tuple[int, int] | None) -> None:
        nonlocal current, after_footer
        has_text = any(x.strip() and not cleaning.is_noise(x) for x in current)
        if has_text or footer:
            chunks.append(_Chunk(tuple(current), after_footer, footer))
            after_footer = False
        current = []

    for line in lines:
        footer = cleaning.FOOTER_RE.match(line)
        if footer:
            close((int(footer.group(1)), int(footer.group(2))))
            after_footer = True
        elif line.startswith(" ") and line.strip():
            close(None)  # an empty chunk is dropped and keeps after_footer for this page
            current.append(line)
        else:
            current.append(line)
    close(None)
    return chunks


def _number(chunks: list[_Chunk]) -> list[str]:
    labels = [""] * len(chunks)
    footers = [i for i, c in enumerate(chunks) if c.footer]
    if not footers:
        return labels
    for i in footers:
        labels[i] = str(chunks[i].footer[0])
    first = footers[0]
    page = chunks[first].footer[0]
    if page - first >= 1:
        for i in range(first):
            labels[i] = str(page - first + i)
    for a, b in zip(footers, footers[1:]):
        n, m = chunks[a].footer[0], chunks[b].footer[0]
        if b - a == m - n:
            for i in range(a + 1, b):
                labels[i] = str(n + i - a)
        elif b == a + 1:
            labels[b] = ""  # the footers disagree with each other: no page between them
        else:
            labels[a + 1] = str(n + 1)  # text right after a footer; the rest stays unknown
    last = footers[-1]
    n, total = chunks[last].footer
    rest = len(chunks) - last - 1
    for i in range(last + 1, len(chunks)):
        if i == last + 1 or n + rest <= total:
            labels[i] = str(n + i - last)
    return labels


class _Builder:
    """Accumulates paragraphs across pages; footnotes wait until the paragraph they
    interrupt is finished, so body sentences run on unbroken."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self.vocabulary = vocabulary
        self.blocks: list[Block] = []
        self.text = ""
        self.pages: list[tuple[int, str]] = []
        self.kind = "body"
        self.waiting: list[Block] = []
        self.last_line = ""

    def add_line(self, line: str, page: str) -> None:
        if not self.text:
            self.pages = [(0, page)]
            self.text = line
        else:
            joined = cleaning.join_lines(self.text, line, self.vocabulary)
            if page != self.pages[-1][1]:
                self.pages.append((len(joined) - len(line), page))
            self.text = joined
        self.last_line = line

    def close(self, kind: str = "body", level: int = 0, label: str = "") -> None:
        if self.text:
            self.blocks.append(Block(self.text, kind, level, label, _compact(self.pages)))
        self.text, self.pages = "", []
        self.blocks.extend(self.waiting)
        self.waiting = []

    def heading(self, text: str, level: int, label: str, page: str) -> None:
        self.close()
        self.add_line(text, page)
        self.close("heading", level, label)


def _compact(pages: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    out: list[tuple[int, str]] = []
    for offset, label in pages:
        if out and out[-1][1] == label:
            continue
        out.append((offset, label))
    return tuple(out)


def pdf_blocks(pages: list[Page]) -> list[Block]:
    """Clean pages of PDF-extracted lines into paragraph blocks, in reading order.

    Drops footers, classification banners and URL-only lines; re-flows wrapped lines;
    joins hyphenated words; makes headings their own blocks (with levels for the section
    path); moves recognised footnotes out of the body to the end of their page (or just
    after the paragraph that runs on over the page break). Raises nothing.
    """
    cleaned = [[x.strip() for x in p.lines if x.strip() and not cleaning.is_noise(x)] for p in pages]
    vocabulary = cleaning.vocabulary_of("\n".join("\n".join(lines) for lines in cleaned))
    builder = _Builder(vocabulary)
    next_note = 1
    previous_text = ""
    for page, lines in zip(pages, cleaned):
        body, notes, next_note = _split_footnotes(lines, next_note, previous_text)
        previous_text = "\n".join(body)
        width = cleaning.line_width(body)
        _add_body(builder, body, page.label, width)
        builder.waiting.extend(
            Block(_join(note, vocabulary), "footnote", 0, str(n), ((0, page.label),))
            for n, note in notes
        )
        if not builder.text:
            builder.close()
    builder.close()
    return builder.blocks


def _join(lines: list[str], vocabulary: frozenset[str]) -> str:
    text = ""
    for line in lines:
        text = cleaning.join_lines(text, line, vocabulary) if text else line
    return text


def _split_footnotes(
    lines: list[str], expected: int, previous_text: str
) -> tuple[list[str], list[tuple[int, list[str]]], int]:
    """Separate footnote lines from body lines; return (body, [(number, lines)], next number)."""
    body: list[str] = []
    notes: list[tuple[int, list[str]]] = []
    in_note = False
    for i, line in enumerate(lines):
        number = cleaning.footnote_number(line)
        context = previous_text + "\n" + "\n".join(lines[:i] + lines[i + 1 :])
        if (
            number is not None
            and expected <= number <= expected + 2
            and not cleaning.is_list_item(line)
            and cleaning.has_reference(context, number)
        ):
            notes.append((number, [line]))
            expected = number + 1
            in_note = True
            continue
        if in_note:
            last = notes[-1][1][-1]
            stop = cleaning.ends_sentence(last) and len(line) <= 100
            if not stop and cleaning.heading(line) is None:
                notes[-1][1].append(line)
                continue
            in_note = False
        body.append(line)
    return body, notes, expected


def _add_body(builder: _Builder, lines: list[str], page: str, width: int) -> None:
    pillar_open = False
    for i, line in enumerate(lines):
        if pillar_open:
            builder.add_line(line, page)
            if not cleaning.heading_continues(pillar_open[1], line):
                builder.close("heading", *pillar_open)
                pillar_open = False
            continue
        found = cleaning.heading(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if found is None and cleaning.is_minor_heading(line, builder.last_line if builder.text else "", following):
            found = (2, line)
        if found:
            if cleaning.heading_continues(found[1], line):
                builder.close()
                builder.add_line(line, page)
                pillar_open = found
            else:
                builder.heading(line, found[0], found[1], page)
            continue
        previous = builder.last_line if builder.text else ""
        if builder.text and cleaning.starts_paragraph(line, previous, width):
            builder.close()
        builder.add_line(line, page)
    if pillar_open:
        builder.close("heading", *pillar_open)
