"""Pages of lines extracted from a PDF -> paragraph blocks with pages, headings and footnotes.

``pdf_blocks`` serves real PDFs (pages of styled lines from ``qa.ingestion.pdfread``) and
.txt files holding extracted text (pages from ``qa.ingestion.pages.split_pages``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from qa.ingestion import cleaning
from qa.ingestion.footnotes import Line, split_by_number, split_by_type
from qa.ingestion.furniture import strip_furniture
from qa.ingestion.layout import Block
from qa.ingestion.pages import Page
from qa.ingestion.wordlist import restore_ligatures

HEADING_SIZE = 1.12  # a short line this much larger than the body text is a heading
PARAGRAPH_GAP = 1.45  # a gap between lines this much wider than usual starts a paragraph


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


@dataclass(frozen=True)
class _Context:
    """What holds for the whole document while its pages are built."""

    styled: bool
    body_size: float
    heading_sizes: tuple[float, ...]
    spacing: float
    levels: cleaning.HeadingLevels


def pdf_blocks(pages: list[Page]) -> list[Block]:
    """Clean pages of PDF-extracted lines into paragraph blocks, in reading order.

    Drops running heads and feet, page numbers, contents leaders, classification banners
    and URL-only lines; re-flows wrapped lines; joins hyphenated words; makes headings
    their own blocks (with levels for the section path) and figure or table captions
    "caption" blocks; moves footnotes out of the body to the end of their page (or just
    after the paragraph that runs on over the page break). Pages with type sizes tell
    headings, footnotes and paragraphs apart by size and position. Raises nothing.
    """
    pages = strip_furniture(pages)
    raw = _spelt_out([_lines(p) for p in pages])
    vocabulary = cleaning.vocabulary_of("\n".join(x.text for lines in raw for x in lines))
    cleaned = [[Line(cleaning.rejoin_split_words(cleaning.rejoin_inline(x.text, vocabulary), vocabulary), x.size, x.top) for x in lines] for lines in raw]
    context = _context(cleaned, any(p.styles for p in pages))
    builder = _Builder(vocabulary)
    next_note = 1
    previous_text = ""
    for page, lines in zip(pages, cleaned):
        if context.styled:
            body, notes = split_by_type(lines, context.body_size)
        else:
            body, notes, next_note = split_by_number(lines, next_note, previous_text)
        # marks set in small type are gone already; these are the ones a PDF gave in the line's own run
        moved = {int(label) for label, _ in notes if label.isdigit()}
        body = [Line(cleaning.drop_note_marks(x.text, moved), x.size, x.top) for x in body]
        previous_text = "\n".join(x.text for x in body)
        _add_body(builder, body, page.label, context)
        builder.waiting.extend(
            Block(_join(note, vocabulary), "footnote", 0, label, ((0, page.label),)) for label, note in notes
        )
        if not builder.text:
            builder.close()
    builder.close()
    return builder.blocks


def _spelt_out(pages: list[list[Line]]) -> list[list[Line]]:
    """The lines with ligatures the PDF's font left as U+FFFD spelt out (restore_ligatures)."""
    texts = [x.text for lines in pages for x in lines]
    if not any("\ufffd" in t for t in texts):
        return pages
    restored = iter(restore_ligatures(texts, cleaning.vocabulary_of("\n".join(texts))))
    return [[replace(x, text=next(restored)) for x in lines] for lines in pages]


def _lines(page: Page) -> list[Line]:
    out = []
    for i, text in enumerate(page.lines):
        if not text.strip() or cleaning.is_noise(text):
            continue
        text = " ".join(cleaning.drop_glued_urls(text).split())
        if text:
            style = page.styles[i] if page.styles else None
            out.append(Line(text, style.size if style else 0.0, style.top if style else -1.0))
    return out


def _context(pages: list[list[Line]], styled: bool) -> _Context:
    sizes = Counter()
    for lines in pages:
        for x in lines:
            if x.size:
                sizes[round(x.size * 2) / 2] += len(x.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    heads = sorted({round(x.size * 2) / 2 for lines in pages for x in lines if _sized_heading(x, body)}, reverse=True)
    gaps = [b.top - a.top for lines in pages for a, b in zip(lines, lines[1:])
            if a.top >= 0 and abs(a.size - body) < 0.3 and abs(b.size - body) < 0.3 and 0 < b.top - a.top < 0.1]
    spacing = sorted(gaps)[len(gaps) // 2] if gaps else 0.0
    return _Context(styled and body > 0, body, tuple(heads[:4]), spacing, cleaning.HeadingLevels())


def _sized_heading(line: Line, body_size: float) -> bool:
    return bool(
        body_size and line.size >= HEADING_SIZE * body_size and len(line.text.split()) <= 20
        and re.search(r"[A-Za-z]{2}", line.text) and not line.text.endswith(",")
    )


def _join(lines: list[str], vocabulary: frozenset[str]) -> str:
    text = ""
    for line in lines:
        text = cleaning.join_lines(text, line, vocabulary) if text else line
    return text


def _add_body(builder: _Builder, lines: list[Line], page: str, context: _Context) -> None:
    width = cleaning.line_width([x.text for x in lines])
    i = 0
    previous: Line | None = None
    while i < len(lines):
        line, text = lines[i], lines[i].text
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        if context.styled and _sized_heading(line, context.body_size):
            j = i + 1
            while j < len(lines) and j - i < 4 and abs(lines[j].size - line.size) < 0.3 and _sized_heading(
                    lines[j], context.body_size):
                j += 1
            title = " ".join(x.text for x in lines[i:j])
            size = round(line.size * 2) / 2
            level = context.heading_sizes.index(size) + 1 if size in context.heading_sizes else len(context.heading_sizes)
            builder.heading(title, level, title[:120], page)
            i, previous = j, None
            continue
        if cleaning.is_caption(text):
            builder.close()
            builder.add_line(text, page)
            j = i + 1
            while (j < len(lines) and j - i < 4 and not cleaning.ends_sentence(lines[j - 1].text)
                   and not cleaning.starts_paragraph(lines[j].text, lines[j - 1].text, width)
                   and _same_size(lines[j], line)):
                builder.add_line(lines[j].text, page)
                j += 1
            builder.close("caption")
            i, previous = j, None
            continue
        found = cleaning.heading(text, numbered_titles=context.styled)
        if (found and found[0].startswith("decimal") and text.split(maxsplit=1)[0].endswith(".")
                and following[:1].islower() and len(text) >= 0.8 * width):
            found = None  # "2.2. Promote the use of ... to enhance": a numbered paragraph wrapped at full width
        if found is None and cleaning.is_minor_heading(text, builder.last_line if builder.text else "", following):
            found = ("minor", text)
        if found:
            style, label = found
            builder.close()
            builder.add_line(text, page)
            if (style.startswith("keyword") and cleaning.heading_wraps(text, following, width)) or (
                    style.startswith("decimal") and text.rstrip().endswith(",") and following[:1].islower()):
                builder.add_line(following, page)
                i += 1
            builder.close("heading", len(context.heading_sizes) + context.levels.level(style), label)
            i, previous = i + 1, None
            continue
        if builder.text and _new_paragraph(line, previous, builder.last_line, width, context):
            builder.close()
        builder.add_line(text, page)
        i, previous = i + 1, line


def _same_size(a: Line, b: Line) -> bool:
    return not a.size or not b.size or abs(a.size - b.size) < 0.3


def _new_paragraph(line: Line, previous: Line | None, last_text: str, width: int, context: _Context) -> bool:
    if cleaning.is_list_item(line.text):
        return True
    if previous is not None and context.spacing and line.top >= 0 and previous.top >= 0:
        if not _same_size(line, previous) and abs(line.size - previous.size) >= 1:
            return True
        gap = line.top - previous.top
        if 0 < gap < 0.2 and gap > PARAGRAPH_GAP * context.spacing:
            return True
    return cleaning.starts_paragraph(line.text, last_text, width)
