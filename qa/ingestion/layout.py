"""Paragraph blocks -> the text of record with its page, section, footnote and link spans.

Every loader turns its format into a list of ``Block`` (one paragraph each); ``assemble``
joins them with ``"\\n\\n"`` and works out the spans, so all formats share one layout.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.types import Link, Span

PARAGRAPH_SEP = "\n\n"
SECTION_SEP = " > "
OPEN, CLOSE = "\x01", "\x02"  # anchor markers used by the Markdown and HTML readers


@dataclass(frozen=True)
class Block:
    """One paragraph of cleaned text (no newlines, no doubled spaces, stripped).

    ``kind`` is "body", "heading", "caption" (a figure or table label) or "footnote". A heading has ``level`` (1 = top) and
    ``label`` (its name in the section path); a footnote has ``label`` = its number.
    ``pages`` lists ``(offset in text, page label)`` where the page changes, starting at 0;
    empty means the page is unknown. ``links`` hold offsets relative to ``text``.
    """

    text: str
    kind: str = "body"
    level: int = 0
    label: str = ""
    pages: tuple[tuple[int, str], ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Layout:
    """The assembled text of record and its spans (absolute offsets)."""

    text: str
    pages: tuple[Span, ...]
    sections: tuple[Span, ...]
    footnotes: tuple[Span, ...]
    links: tuple[Link, ...]
    captions: tuple[Span, ...] = ()


def assemble(blocks: list[Block], paged: bool = False) -> Layout:
    """Join ``blocks`` into one text and return it with its spans.

    Sections follow headings (a level-L heading replaces the path from level L down);
    footnotes get the section ``Footnotes > N``; captions keep the section they sit in and are
    listed in ``captions``. Page spans are produced only when
    ``paged`` is true. Empty blocks are skipped. Raises nothing.
    """
    parts: list[str] = []
    pages: list[Span] = []
    sections: list[Span] = []
    footnotes: list[Span] = []
    captions: list[Span] = []
    links: list[Link] = []
    path: list[tuple[int, str]] = []
    offset = 0
    kept = [b for b in blocks if b.text]
    for i, block in enumerate(kept):
        start = offset
        end = start + len(block.text)
        stop = end + (len(PARAGRAPH_SEP) if i < len(kept) - 1 else 0)
        if block.kind == "heading":
            path = [p for p in path if p[0] < block.level] + [(block.level, block.label)]
        if block.kind == "footnote":
            label = f"Footnotes{SECTION_SEP}{block.label}"
            footnotes.append(Span(start, end, block.label))
        else:
            label = SECTION_SEP.join(name for _, name in path)
        if block.kind == "caption":
            captions.append(Span(start, end, "caption"))
        _add(sections, Span(start, stop, label))
        if paged:
            changes = block.pages or ((0, ""),)
            for j, (rel, page) in enumerate(changes):
                nxt = start + changes[j + 1][0] if j + 1 < len(changes) else stop
                _add(pages, Span(start + rel, nxt, page))
        links.extend(Link(start + ln.start, start + ln.end, ln.target) for ln in block.links)
        parts.append(block.text)
        offset = stop
    return Layout(PARAGRAPH_SEP.join(parts), tuple(pages), tuple(sections), tuple(footnotes), tuple(links),
                  tuple(captions))


def _add(spans: list[Span], span: Span) -> None:
    """Append ``span``, merging it into the previous one when the labels match."""
    if span.end <= span.start:
        return
    if spans and spans[-1].label == span.label and spans[-1].end == span.start:
        spans[-1] = Span(spans[-1].start, span.end, span.label)
    else:
        spans.append(span)


def tiling_problem(spans: tuple[Span, ...], length: int) -> str:
    """Return "" when ``spans`` tile ``[0, length)`` (sorted, contiguous, non-empty), else why not.

    An empty tuple is accepted (the document has no such spans).
    """
    if not spans:
        return ""
    if spans[0].start != 0:
        return f"first span starts at {spans[0].start}, not 0"
    for a, b in zip(spans, spans[1:]):
        if a.end != b.start:
            return f"gap or overlap between {a} and {b}"
    for s in spans:
        if s.end <= s.start:
            return f"empty or reversed span {s}"
    if spans[-1].end != length:
        return f"last span ends at {spans[-1].end}, text length is {length}"
    return ""


def finish_paragraph(raw: str, targets: list[str]) -> tuple[str, tuple[Link, ...]]:
    """Collapse whitespace in ``raw`` (non-breaking spaces included) and strip it.

    ``raw`` may hold OPEN/CLOSE markers around link anchors; the i-th anchor links to
    ``targets[i]``. Returns the clean text and the links at their offsets in it.
    Markers without a target, unbalanced markers and empty anchors are dropped.
    """
    out: list[str] = []
    stack: list[int | None] = []
    pending_starts: list[int] = []
    links: list[Link] = []
    space = False
    anchor = 0
    starts: dict[int, int | None] = {}
    for ch in raw:
        if ch == OPEN:
            starts[anchor] = None
            stack.append(anchor)
            pending_starts.append(anchor)
            anchor += 1
        elif ch == CLOSE:
            if stack:
                idx = stack.pop()
                begin = starts.get(idx)
                if begin is not None and idx < len(targets) and len(out) > begin:
                    links.append(Link(begin, len(out), targets[idx]))
                if idx in pending_starts:
                    pending_starts.remove(idx)
        elif ch.isspace():
            space = True
        else:
            if space and out:
                out.append(" ")
            space = False
            for idx in pending_starts:
                starts[idx] = len(out)
            pending_starts.clear()
            out.append(ch)
    links.sort(key=lambda ln: (ln.start, ln.end))
    return "".join(out), tuple(links)


def collapse(text: str) -> str:
    """Return ``text`` with all whitespace runs (non-breaking spaces too) as one space, stripped."""
    return " ".join(text.split())
