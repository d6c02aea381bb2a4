"""Frozen dataclasses passed between the modules: files -> Document -> Chunk -> Hit -> Answer.

Every offset is a character offset into ``Document.text``, the cleaned text of record.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

KINDS = ("framework", "fact sheet", "article", "report", "other")


class QAError(Exception):
    """Base class of every error the project raises on purpose (bad input, bad index, ...)."""


class LoadError(QAError):
    """A corpus file could not be turned into a Document; the message names the file and what to do."""

    def __init__(self, path: str, problem: str, hint: str = "") -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        message = f"{path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class IndexStateError(QAError):
    """The index on disk is missing, stale, damaged or built with other settings."""


class QueryError(QAError):
    """A query that cannot be searched (empty, too long, nothing searchable in it)."""


class SettingsError(QAError, ValueError):
    """A setting or command-line option out of range; the message names it and the allowed values.

    Also a ValueError, the usual type for a bad argument, so callers catching that still work.
    """


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of a document's text with a label.

    For pages the label is the page number as a string, or ``""`` when the page is unknown.
    For sections it is the heading path joined with `` > ``.
    """

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Link:
    """A hyperlink whose anchor text sits at ``[start, end)`` of the text of record."""

    start: int
    end: int
    target: str


@dataclass(frozen=True)
class Document:
    """One corpus file after loading and cleaning.

    ``pages`` and ``sections`` each tile the text (sorted, non-overlapping); ``footnotes``
    marks footnote paragraphs kept apart from the body; ``captions`` marks figure and table
    labels (never an answer). ``primacy`` orders citations: sources with a lower value
    (primary sources) are cited before those that quote them.
    """

    doc_id: str
    text: str
    title: str
    path: str
    kind: str = "other"
    publisher: str = ""
    date: str = ""
    author: str = ""
    url: str = ""
    source_format: str = "txt"
    content_hash: str = ""
    pages: tuple[Span, ...] = ()
    sections: tuple[Span, ...] = ()
    footnotes: tuple[Span, ...] = ()
    links: tuple[Link, ...] = ()
    captions: tuple[Span, ...] = ()
    primacy: int = 1

    @property
    def page_count(self) -> int:
        """Number of distinct known pages (0 for documents without pages)."""
        return len({s.label for s in self.pages if s.label})

    def pages_between(self, start: int, end: int) -> tuple[int, ...]:
        """Known page numbers that ``[start, end)`` touches, ascending; () if none is known."""
        found = []
        for span in _overlapping(self.pages, start, end):
            if span.label and int(span.label) not in found:
                found.append(int(span.label))
        return tuple(sorted(found))

    def page_at(self, offset: int) -> int | None:
        """The page number at ``offset``, or None when the text does not tell it."""
        pages = self.pages_between(offset, offset + 1)
        return pages[0] if pages else None

    def in_caption(self, start: int, end: int) -> bool:
        """True when ``[start, end)`` overlaps a figure or table caption."""
        return bool(_overlapping(self.captions, start, end))

    def section_at(self, offset: int) -> str:
        """The section heading path (`` > ``-joined) at ``offset``; "" when there is none."""
        spans = _overlapping(self.sections, offset, offset + 1)
        return spans[0].label if spans else ""


def _overlapping(spans: tuple[Span, ...], start: int, end: int) -> list[Span]:
    if not spans:
        return []
    starts = [s.start for s in spans]
    i = max(bisect.bisect_right(starts, start) - 1, 0)
    out = []
    while i < len(spans) and spans[i].start < max(end, start + 1):
        if spans[i].end > start:
            out.append(spans[i])
        i += 1
    return out


@dataclass(frozen=True)
class Chunk:
    """A passage: ``text == document.text[start:end]``.

    ``sentences`` holds absolute ``(start, end)`` offsets of the sentences inside the chunk.
    """

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    pages: tuple[int, ...] = ()
    section: str = ""
    sentences: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with how each retriever ranked it (ranks are 1-based; None = not retrieved)."""

    rank: int
    chunk: Chunk
    score: float
    bm25_rank: int | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None


@dataclass(frozen=True)
class Citation:
    """A numbered reference to a verbatim quote: ``quote == document.text[start:end]``."""

    n: int
    doc_id: str
    title: str
    publisher: str
    date: str
    page: int | None
    section: str
    start: int
    end: int
    quote: str
    url: str
    reference: str


@dataclass(frozen=True)
class AnswerSpan:
    """The quoted answer; ``short_start``/``short_end`` mark the short answer inside it, if any."""

    doc_id: str
    start: int
    end: int
    text: str
    page: int | None
    short: str = ""
    short_start: int | None = None
    short_end: int | None = None


@dataclass(frozen=True)
class Answer:
    """What ``qa ask`` returns: a quote with citations, or an abstention with the nearest passages."""

    question: str
    abstained: bool
    confidence: float
    answer: AnswerSpan | None
    citations: tuple[Citation, ...] = ()
    passages: tuple[Hit, ...] = ()
    timings_ms: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Match:
    """One place a quote occurs: ``text == document.text[start:end]``."""

    doc_id: str
    title: str
    page: int | None
    section: str
    start: int
    end: int
    text: str
    similarity: float
    exact: bool
    context_before: str
    context_after: str
