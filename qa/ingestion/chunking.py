"""Document -> sentences -> Chunk: sentence-aware passages sized in the embedding model's tokens.

Chunks never cross a section (footnotes are sections of their own) except that a lone heading
opens the passage of its first subsection; they overlap by whole sentences
and hold at most ``max_tokens`` word pieces so the model never truncates one silently. A single
sentence longer than that is cut at word boundaries.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from qa.types import Chunk, Document, SettingsError, Span

TokenCounter = Callable[[Sequence[str]], list[int]]

# Words that end with a period without ending the sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr gen col lt sgt capt cmdr adm gov sen rep amb pres sec dept
    jan feb mar apr jun jul aug sep sept oct nov dec no nos vol fig figs pp p para art sec
    inc corp co ltd llc bros est approx e.g i.e vs cf al ca""".split()
)

_CANDIDATE = re.compile(r"[.!?]+[\"'”’)\]]*(?P<ref>\d{1,2}(?=\s))?(?=\s|$)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9•\-–—]")


@dataclass(frozen=True)
class ChunkSettings:
    """How passages are cut; recorded in the index manifest."""

    max_tokens: int = 200
    overlap_sentences: int = 1
    min_tokens: int = 24  # a section smaller than this (a lone heading) joins its first subsection

    def __post_init__(self) -> None:
        if not 16 <= self.max_tokens <= 8192:
            raise SettingsError(f"chunk max_tokens must be between 16 and 8192, got {self.max_tokens}")
        if not 0 <= self.overlap_sentences <= 5:
            raise SettingsError(f"chunk overlap_sentences must be between 0 and 5, got {self.overlap_sentences}")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text[start:end]``, stripped of surrounding whitespace.

    Line breaks always end a sentence; abbreviations ("U.S.", "E.O. 13873", "Dec.", "No.") and
    initials do not. A footnote number glued after the full stop ("in 2021.1 The") stays with
    the sentence it ends.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        lo = start + line.start()
        hi = start + line.end()
        cut = lo
        for m in _CANDIDATE.finditer(text, lo, hi):
            stop = m.end()
            if stop < hi and not _NEXT_STARTS_SENTENCE.match(text, stop, hi):
                continue
            if _is_abbreviation(text, lo, m.start()) and not m.group("ref"):
                continue
            _add(text, spans, cut, stop)
            cut = stop
        _add(text, spans, cut, hi)
    return spans


def _is_abbreviation(text: str, line_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"[\w.]*$", text[line_start:dot]).group(0).lower()
    if not word:
        return False
    if word in ABBREVIATIONS:
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # u.s / e.o / d.c
        return True
    return len(word) == 1 and word.isalpha() and text[dot - 1].isupper()  # initials: John F. Kennedy


def _add(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> None:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    if hi > lo:
        spans.append((lo, hi))


def _split_long(text: str, span: tuple[int, int], count: TokenCounter, limit: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at word boundaries into pieces of at most ``limit`` tokens."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[span[0]:span[1]])]
    sizes = count([text[span[0] + a:span[0] + b] for a, b in words])
    pieces, first, total = [], 0, 0
    for i, size in enumerate(sizes):
        if total + size > limit and i > first:
            pieces.append((span[0] + words[first][0], span[0] + words[i - 1][1]))
            first, total = i, 0
        total += size
    pieces.append((span[0] + words[first][0], span[0] + words[-1][1]))
    return pieces


def chunk_document(doc: Document, count_tokens: TokenCounter, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """Chunks of ``doc`` in text order; each chunk's text is ``doc.text[start:end]``."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    blocks = doc.sections or (Span(0, len(doc.text), ""),)
    units: list[tuple[int, int]] = []  # sentences waiting to be packed (a lone heading carried over)
    unit_sizes: list[int] = []
    label = ""

    def flush() -> None:
        for first, last in _pack(unit_sizes, settings):
            start, end = units[first][0], units[last][1]
            chunks.append(_make_chunk(doc, start, end, tuple(units[first:last + 1]), label, seen))
        units.clear()
        unit_sizes.clear()

    for n, block in enumerate(blocks):
        sentences = split_sentences(doc.text, block.start, block.end)
        if not sentences:
            flush()
            continue
        label = block.label
        sizes = count_tokens([doc.text[a:b] for a, b in sentences])
        for span, size in zip(sentences, sizes):
            if size > settings.max_tokens:
                pieces = _split_long(doc.text, span, count_tokens, settings.max_tokens)
                units.extend(pieces)
                unit_sizes.extend(count_tokens([doc.text[a:b] for a, b in pieces]))
            else:
                units.append(span)
                unit_sizes.append(size)
        nxt = blocks[n + 1] if n + 1 < len(blocks) else None
        if sum(unit_sizes) < settings.min_tokens and nxt is not None and _opens(block.label, nxt.label):
            continue  # a heading alone: it opens the passage of its first subsection
        flush()
    flush()
    return chunks


def _opens(label: str, child: str) -> bool:
    """Whether a section labelled ``label`` is the parent of ``child`` (or an untitled opening)."""
    return label == "" or child.startswith(label + " > ")


def _pack(sizes: list[int], settings: ChunkSettings) -> list[tuple[int, int]]:
    """Greedy windows ``(first, last)`` over sentence sizes, overlapping by whole sentences."""
    windows = []
    first = 0
    while first < len(sizes):
        last, total = first, sizes[first]
        while last + 1 < len(sizes) and total + sizes[last + 1] <= settings.max_tokens:
            last += 1
            total += sizes[last]
        windows.append((first, last))
        if last + 1 >= len(sizes):
            break
        first = max(last + 1 - settings.overlap_sentences, first + 1)
    return windows


def _make_chunk(doc: Document, start: int, end: int, sentences: tuple, section: str, seen: dict[str, int]) -> Chunk:
    text = doc.text[start:end]
    digest = hashlib.sha256(f"{doc.doc_id}\n{section}\n{text}".encode()).hexdigest()[:16]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    chunk_id = f"{doc.doc_id}:{digest}" + (f"-{n + 1}" if n else "")
    return Chunk(
        chunk_id=chunk_id,
        doc_id=doc.doc_id,
        start=start,
        end=end,
        text=text,
        pages=doc.pages_between(start, end),
        section=section,
        sentences=sentences,
    )
