"""Pages of extracted lines, and page numbers recovered from the text's own markers.

``Page`` is what the PDF reader produces (lines with their font size and height) and what a
.txt file of extracted text is split into by ``split_pages`` (lines without styles).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.ingestion import cleaning


@dataclass(frozen=True)
class LineStyle:
    """How a line is set: font ``size`` in points (0 unknown) and ``top``, its baseline's
    distance from the page top as a share of the page height (-1 unknown)."""

    size: float
    top: float


@dataclass(frozen=True)
class Page:
    """The lines of one page; ``label`` is its 1-based number as text, or "" if unknown.

    ``styles`` is empty (text without layout) or holds one LineStyle per line.
    """

    label: str
    lines: tuple[str, ...]
    styles: tuple[LineStyle, ...] = ()


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
