"""Page furniture: running heads and feet, printed page numbers and contents leaders.

A line is furniture when it sits at a page edge (among the first or last lines by height on
the page, or in extraction order when heights are unknown) and either recurs at the edges of
several pages once its digits are masked ("2017] INCENTIVES FOR KEEPING SPACE CLEAN 183",
"A/CONF.164/37 English Page 30", "21-15518 4/10") or is a bare page number ("- 55 -", "xii",
"4/10"). Table-of-contents lines ending in dot leaders and a page number go too. Nothing
depends on a document's wording.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from qa.ingestion.pages import Page

EDGE_LINES = 3  # lines at each end of a page that may be furniture
EDGE_ZONE = 0.15  # and, when heights are known, within this share of the page top or bottom
MIN_REPEATS = 3
_PAGE_NUMBER_RE = re.compile(
    r"^[-–—\s]*(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,7})(?:\s*(?:/|of)\s*\d{1,4})?[-–—\s]*$", re.IGNORECASE)
_DASHED_NUMBER_RE = re.compile(r"^\s*[-–—]\s*\d{1,4}\s*[-–—]\s+|\s+[-–—]\s*\d{1,4}\s*[-–—]\s*$")
_LEADER_RE = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,4}|[ivxlc]{1,7})\s*$|…{2,}\s*\d{1,4}\s*$", re.IGNORECASE)


def furniture_key(line: str) -> str:
    """``line`` lowercased with digit runs masked and spacing collapsed (what recurs)."""
    return " ".join(re.sub(r"\d+", "#", line.lower()).split())


def edge_indices(page: Page) -> list[int]:
    """Indices of the lines of ``page`` that sit at its top or bottom edge."""
    n = len(page.lines)
    if not page.styles:
        return sorted(set(range(min(EDGE_LINES, n))) | set(range(max(n - EDGE_LINES, 0), n)))
    placed = sorted((s.top, i) for i, s in enumerate(page.styles) if s.top >= 0)
    ends = placed[:EDGE_LINES] + placed[-EDGE_LINES:]
    return sorted({i for top, i in ends if top <= EDGE_ZONE or top >= 1 - EDGE_ZONE})


def strip_furniture(pages: list[Page]) -> list[Page]:
    """Return ``pages`` without running heads/feet, page numbers and dot-leader lines."""
    edges = [edge_indices(p) for p in pages]
    counts = Counter(key for p, idx in zip(pages, edges) for key in {furniture_key(p.lines[i]) for i in idx})
    needed = max(MIN_REPEATS, round(0.15 * sum(1 for p in pages if p.lines)))
    out = []
    for page, idx in zip(pages, edges):
        drop: set[int] = set()
        lines = list(page.lines)
        for i in idx:
            line = lines[i].strip()
            key = furniture_key(line)
            if _PAGE_NUMBER_RE.match(line) or (counts[key] >= needed and key):
                drop.add(i)
            else:
                lines[i] = _DASHED_NUMBER_RE.sub(" ", lines[i])
        drop |= {i for i, line in enumerate(lines) if _LEADER_RE.search(line)}
        keep = [i for i in range(len(lines)) if i not in drop]
        styles = tuple(page.styles[i] for i in keep) if page.styles else ()
        out.append(replace(page, lines=tuple(lines[i] for i in keep), styles=styles))
    return out
