"""Folding text for matching: case, quote marks, dashes and spacing ignored, offsets kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.types import QueryError

MAX_QUOTE_CHARS = 5000

_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u00ad": "",
})
_FOLD_CODES = tuple((k, ord(v)) for k, v in _FOLD.items() if v is not None and len(v) == 1)


@dataclass(frozen=True)
class Folded:
    """``text`` folded for matching; ``origin[i]`` is the offset in the original of ``text[i]``."""

    text: str
    origin: np.ndarray

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of folded ``[start, end)``."""
        return int(self.origin[start]), int(self.origin[end - 1]) + 1


_SPACES = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)
_SPACE_TABLE = np.zeros(int(_SPACES.max()) + 2, dtype=bool)
_SPACE_TABLE[_SPACES] = True
_SOFT_HYPHEN = 0xAD


def fold(text: str) -> Folded:
    """Lower-case, straight quotes, one kind of dash, whitespace runs as one space; offsets kept.

    Vectorised with numpy (a character loop in Python is far too slow for long documents); texts
    whose lower-casing changes their length (rare: "İ") take the character loop.
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return _fold_slow(text)
    codes = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32).copy()
    if not text.isascii():
        for src, dst in _FOLD_CODES:
            codes[codes == src] = dst
    space = _SPACE_TABLE[np.minimum(codes, len(_SPACE_TABLE) - 1)]
    after_space = np.concatenate([[True], space[:-1]])  # a leading run goes too
    keep = ~space | ~after_space
    keep &= codes != _SOFT_HYPHEN
    codes[space] = 32
    origin = np.flatnonzero(keep)
    kept = codes[origin]
    while kept.size and kept[-1] == 32:
        kept, origin = kept[:-1], origin[:-1]
    return Folded(kept.astype("<u4").tobytes().decode("utf-32-le"), origin)


def _fold_slow(text: str) -> Folded:
    out: list[str] = []
    origin: list[int] = []
    space = False
    for i, ch in enumerate(text):
        ch = ch.translate(_FOLD)
        if not ch:
            continue
        if ch.isspace():
            if out and not space:
                out.append(" ")
                origin.append(i)
            space = True
            continue
        space = False
        for c in ch.lower():
            out.append(c)
            origin.append(i)
    while out and out[-1] == " ":
        out.pop()
        origin.pop()
    return Folded("".join(out), np.array(origin, dtype=np.int64))


def clean_quote(quote: str) -> str:
    """The quote with outer quotation marks and whitespace removed; raises QueryError if unusable."""
    text = " ".join(str(quote).split())
    text = text.strip("\"'“”‘’«» ")
    if not text:
        raise QueryError("the quote is empty: paste the words to look for")
    if len(text) > MAX_QUOTE_CHARS:
        raise QueryError(f"the quote has {len(text)} characters; the limit is {MAX_QUOTE_CHARS}")
    if not re.search(r"\w", text):
        raise QueryError("the quote has no letters or digits to look for")
    return text


