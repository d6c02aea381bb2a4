"""Pure line-level rules for text extracted from PDFs (one page at a time).

What a line is (footer, tracking URL, heading, list item, footnote start), whether a line
starts a new paragraph, and how to join a word hyphenated across a line end. The page
bookkeeping and the paragraph building live in ``qa.ingestion.pdftext``.
"""

from __future__ import annotations

import re

FOOTER_RE = re.compile(r"^\s*Page\s+(\d{1,4})\s+of\s+(\d{1,4})\s*$", re.IGNORECASE)
_CLASSIFICATION_RE = re.compile(r"^\s*(UN)?CLASSIFI?ED\s*$", re.IGNORECASE)
_URL_RE = re.compile(r"^\s*(https?://|www\.)\S+\s*$", re.IGNORECASE)
_ROMAN_RE = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)\.\s+[A-Z][^.!?]{0,70}$")
_PILLAR_RE = re.compile(r"^Pillar\s+(\d+)\b")
_GOAL_RE = re.compile(r"^(?:Diplomacy for Space|Space for Diplomacy)\s+Goal\s+\d+\b.{0,70}$")
_SUBSECTION_RE = re.compile(r"^\d{1,2}\.\d{1,2}\s+[A-Z][^.!?]{0,70}$")
_MINOR_HEADING_RE = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){0,3}$")
_LIST_RE = re.compile(r"^(?:[•▪●◦‣\-–—]\s|\d{1,2}\.\s+\S|[a-z]\.\s+\S)")
_FOOTNOTE_START_RE = re.compile(r"^(\d{1,3})\s+(?![.\d])\S")
_SENTENCE_END_RE = re.compile(r"[.!?…][\"”’')\]]*\d{0,2}$")

COMPOUND_PREFIXES = frozenset(
    "non multi cross self well long short anti post co semi space rules values state".split()
)
COMPOUND_SECONDS = frozenset(
    "based related term building derived enabled provided governmental government like "
    "scale wide led driven making level oriented owned specific free sized class time".split()
)
_SUFFIXES = frozenset(
    "tion tions sion sions cation cations ation ations ment ments ness ity ities ing ings "
    "ed er ers ance ence ive ives ous al ally able ible ic ical ure ures ize ized ise ly ty cy "
    "ional ities ism ist ists".split()
)


def is_noise(line: str) -> bool:
    """True for lines that carry no text of record: page footers, classification banners,
    lines that are only a URL."""
    return bool(FOOTER_RE.match(line) or _CLASSIFICATION_RE.match(line) or _URL_RE.match(line))


def heading(line: str) -> tuple[int, str] | None:
    """Return ``(level, label)`` when ``line`` (stripped) is a section heading, else None.

    Levels: 1 Roman-numeral parts ("V. Goals and Objectives"), 2 pillars ("Pillar 1", the
    label is shortened to that), 3 goals ("Diplomacy for Space Goal 1"), 4 numbered
    subsections ("3.1 Commercial Space Diplomacy"). Short title-case lines are checked by
    ``is_minor_heading`` since they need context.
    """
    if _ROMAN_RE.match(line):
        return 1, line
    pillar = _PILLAR_RE.match(line)
    if pillar:
        return 2, f"Pillar {pillar.group(1)}"
    if _GOAL_RE.match(line):
        return 3, line.rstrip(":").strip()
    if _SUBSECTION_RE.match(line):
        return 4, line.rstrip(":").strip()
    return None


def is_minor_heading(line: str, previous: str, following: str) -> bool:
    """True for a short Title Case line ("Our Partners") between a finished sentence (or
    nothing) and a full-length line starting with a capital letter."""
    return bool(
        _MINOR_HEADING_RE.match(line)
        and (not previous or ends_sentence(previous))
        and len(following) > 40
        and following[:1].isupper()
    )


def heading_continues(label: str, line: str) -> bool:
    """True when a pillar heading wraps: its line does not end with "." or ":"."""
    return label.startswith("Pillar") and not line.rstrip().endswith((".", ":"))


def is_list_item(line: str) -> bool:
    """True for bullets ("•", "-", dash), numbered ("1.") and lettered ("a.") items."""
    return bool(_LIST_RE.match(line))


def ends_sentence(line: str) -> bool:
    """True when ``line`` ends with sentence punctuation (quotes and a footnote number allowed)."""
    return bool(_SENTENCE_END_RE.search(line.rstrip()))


def footnote_number(line: str) -> int | None:
    """The footnote number a line starts with ("1 Space Foundation ..."), or None."""
    match = _FOOTNOTE_START_RE.match(line)
    return int(match.group(1)) if match else None


def has_reference(text: str, number: int) -> bool:
    """True when ``text`` contains ``number`` as a footnote reference (not inside a larger
    number, not a dollar amount): "2021.1 The", "Directives5,", "Policy 2 articulates"."""
    return re.search(rf"(?<![\d$,]){number}(?![\d,]|\.\d)", text) is not None


def starts_paragraph(line: str, previous: str, width: int) -> bool:
    """True when ``line`` begins a new paragraph after ``previous`` on a page whose body
    lines are about ``width`` characters: a list item, an opening quote or dash after a
    finished sentence, or any line after a finished sentence that ends well short of the
    line width."""
    if not previous:
        return True
    if is_list_item(line):
        return True
    if line[:1] in "“\"" and (ends_sentence(previous) or len(previous) < 0.6 * width):
        return True
    if not ends_sentence(previous):
        return False
    return len(previous) < 0.9 * width


def join_hyphenated(left: str, right: str, vocabulary: frozenset[str]) -> str:
    """Join two lines where ``left`` ends with a hyphen; return the joined text.

    The hyphen is dropped ("communi-" + "cation" -> "communication") only when the
    fragment before it is lowercase letters, ``right`` starts with a lowercase letter, the
    hyphenated form is not used elsewhere (``vocabulary`` holds the document's lowercase
    words) and the split is not a known compound ("space-based", "non-governmental"), and
    either the joined word occurs elsewhere or the second part is a bare suffix ("cation").
    Otherwise the hyphen is kept ("long-" + "term" -> "long-term").
    """
    head = re.search(r"([A-Za-z]+)-$", left)
    tail = re.match(r"([a-z]+)", right)
    if not head or not tail or not head.group(1).islower():
        return left + right
    first, second = head.group(1), tail.group(1)
    if f"{first}-{second}" in vocabulary or first in COMPOUND_PREFIXES or second in COMPOUND_SECONDS:
        return left + right
    if first + second in vocabulary or second in _SUFFIXES:
        return left[:-1] + right
    return left + right


def join_lines(left: str, right: str, vocabulary: frozenset[str]) -> str:
    """Join two wrapped lines of one paragraph: hyphen rules at a line-end hyphen, else a space."""
    left, right = left.rstrip(), right.strip()
    if re.search(r"[A-Za-z]-$", left) and not left.endswith("--"):
        return join_hyphenated(left, right, vocabulary)
    return f"{left} {right}" if left else right


def vocabulary_of(text: str) -> frozenset[str]:
    """Lowercase words and hyphenated compounds of ``text`` (for ``join_hyphenated``)."""
    return frozenset(w.lower() for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text) if not w.endswith("-"))


def line_width(lines: list[str]) -> int:
    """Typical full line length of ``lines``: the 90th percentile of lengths up to 100
    characters (footnotes in small print run longer); 80 when there are too few lines."""
    lengths = sorted(len(x) for x in lines if 0 < len(x) <= 100)
    if len(lengths) < 5:
        return 80
    return lengths[int(0.9 * (len(lengths) - 1))]
