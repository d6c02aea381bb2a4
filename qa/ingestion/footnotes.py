"""Footnotes told apart from the body of a page: by type size and position when the PDF
gives them, else by their numbers and the references to them in the text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingestion import cleaning

SMALL_PRINT = 0.9  # a line set at most this share of the body size is small print
LOWER_PART = 0.5  # footnotes start in the lower half of the page ...
NOTES_FROM = 0.25  # ... or below this, numbered and marked in the text, when small print runs on to the foot
PAGE_FOOT = 0.9  # lines below this (a running foot, a page number) do not break that run
_HIGH_NOTE_RE = re.compile(r"^\s*(\d{1,3})\.?\s+(?!\d)[A-Z“\"(]")
_MARK_RE = re.compile(r"^\s*(\d{1,3}|[*†‡§¶])\s*(?=\S)")


@dataclass(frozen=True)
class Line:
    """One extracted line: text, font size (0 unknown), baseline from the top as a share of
    the page height (-1 unknown)."""

    text: str
    size: float = 0.0
    top: float = -1.0


def split_by_type(lines: list[Line], body_size: float) -> tuple[list[Line], list[tuple[str, list[str]]]]:
    """Separate small-print footnotes from the body; return (body, [(label, lines)]).

    A footnote starts at a line in small print, in the lower half of the page, that begins
    with a number or a note symbol; the small-print lines after it go with it. A law review's
    long notes start higher: there a small-print line below NOTES_FROM starts one when it begins
    with a number that the body above marks ("innovation.1 Its") and small print runs on from
    it to the foot of the page.
    """
    body: list[Line] = []
    notes: list[tuple[str, list[str]]] = []
    in_note = False
    to_foot = [True] * (len(lines) + 1)  # small print (or the page's foot) from line i on
    for i in range(len(lines) - 1, -1, -1):
        small = 0 < lines[i].size <= SMALL_PRINT * body_size
        to_foot[i] = to_foot[i + 1] and (small or lines[i].top >= PAGE_FOOT)
    for i, line in enumerate(lines):
        small = 0 < line.size <= SMALL_PRINT * body_size and (line.top >= LOWER_PART or in_note or (
            NOTES_FROM <= line.top and to_foot[i] and _marked_above(line.text, body)))
        mark = _MARK_RE.match(line.text) if small else None
        if mark:
            notes.append((mark.group(1), [line.text]))
            in_note = True
        elif small and in_note:
            notes[-1][1].append(line.text)
        else:
            in_note = False
            body.append(line)
    return body, notes


def _marked_above(text: str, body: list[Line]) -> bool:
    """Whether ``text`` starts with a note number that the body lines above mark as a reference."""
    number = _HIGH_NOTE_RE.match(text)
    above = "\n".join(x.text for x in body)
    return bool(number) and cleaning.drop_note_marks(above, {int(number.group(1))}) != above


def split_by_number(
    lines: list[Line], expected: int, previous_text: str
) -> tuple[list[Line], list[tuple[str, list[str]]], int]:
    """Separate numbered footnotes from body lines of text without type sizes; return
    (body, [(label, lines)], next expected number). A note starts with the next expected
    number (or up to two past it) that the page's text refers to."""
    body: list[Line] = []
    notes: list[tuple[str, list[str]]] = []
    texts = [x.text for x in lines]
    in_note = False
    for i, line in enumerate(lines):
        number = cleaning.footnote_number(line.text)
        context = previous_text + "\n" + "\n".join(texts[:i] + texts[i + 1 :])
        if (
            number is not None
            and expected <= number <= expected + 2
            and not cleaning.is_list_item(line.text)
            and cleaning.has_reference(context, number)
        ):
            notes.append((str(number), [line.text]))
            expected = number + 1
            in_note = True
            continue
        if in_note:
            last = notes[-1][1][-1]
            stop = cleaning.ends_sentence(last) and len(line.text) <= 100
            if not stop and cleaning.heading(line.text) is None:
                notes[-1][1].append(line.text)
                continue
            in_note = False
        body.append(line)
    return body, notes, expected
