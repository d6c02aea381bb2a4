"""Locating a gold evidence quote in a document's cleaned text when the exact lookup fails.

PDF text extraction leaves marks a reader does not see: a space inside a word ("op erational"),
a ligature ("ﬁltered"), a hyphen of a broken line ("over-laps"). The real gold set's checker
(eval/check_real_gold.py) compares quote and page after NFKC, lower case and dropping every
character that is not a letter or a digit; the loose lookup below does the same and maps the
match back to character offsets of the text of record.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class AlnumText:
    """``text`` folded to letters and digits (NFKC, lower case) and, for each folded character,
    the offset of the original character it came from."""

    text: str
    offsets: tuple[int, ...]


def alnum_fold(text: str) -> AlnumText:
    """Fold ``text`` (see AlnumText): "Op erational ﬁ" -> "operationalfi", with offsets."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if c.isalnum():
                chars.append(c)
                offsets.append(i)
    return AlnumText("".join(chars), tuple(offsets))


def loose_places(folded: AlnumText, quote: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` of the original text whose folded form equals the folded ``quote``,
    from the first to the last letter or digit of the match; [] when the quote has none."""
    needle = alnum_fold(quote).text
    out, pos = [], folded.text.find(needle) if needle else -1
    while pos >= 0:
        out.append((folded.offsets[pos], folded.offsets[pos + len(needle) - 1] + 1))
        pos = folded.text.find(needle, pos + 1)
    return out
