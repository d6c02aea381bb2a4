"""Pure line-level rules for text extracted from PDFs (one page at a time).

What a line is (footer, tracking URL, heading, list item, footnote start), whether a line
starts a new paragraph, and how to join a word hyphenated across a line end. The page
bookkeeping and the paragraph building live in ``qa.ingestion.pdftext``.
"""

from __future__ import annotations

import re

from qa.ingestion.wordlist import base_forms, is_word

FOOTER_RE = re.compile(r"^\s*Page\s+(\d{1,4})\s+of\s+(\d{1,4})\s*$", re.IGNORECASE)
_CLASSIFICATION_RE = re.compile(r"^\s*(UN)?CLASSIFI?ED\s*$", re.IGNORECASE)
_URL_RE = re.compile(r"^\s*(https?://|www\.)\S+\s*$", re.IGNORECASE)
_ROMAN_RE = re.compile(r"^(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)\.\s+[A-Z][^.!?]{0,70}$")
_CONNECTOR = r"(?:for|of|and|the|on|in|to|a|an|&)"
# "Pillar 1: Title", "Diplomacy for Space Goal 3 – Title", "Chapter II", "Annex 2": Title Case
# words, then a keyword and its number, at the line end or before ":" / a dash.
_KEYWORD_RE = re.compile(
    rf"^((?:[A-Z][\w’'-]*\s+(?:{_CONNECTOR}\s+)*){{0,4}}([A-Z][a-z]{{2,}})\s+(\d{{1,2}}|[IVX]{{1,4}}))"
    r"(?:\s*(:|[–—-]{1,2})\s*(.{0,80}))?\s*$"
)
_SUBSECTION_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+[A-Z][^.!?]{0,70}$")  # "3.1 Title", "1.1. Title"
_NUMBERED_TITLE_RE = re.compile(r"^(\d{1,2})\s+[A-Z][A-Za-z’' ,&-]{2,60}$")
_MINOR_HEADING_RE = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){0,3}$")
_CAPTION_RE = re.compile(r"^(?:Figure|Fig\.|Table|Chart|Box|Exhibit|Map|Graph|Diagram)\s+[\dIVX]{1,3}[a-z]?(?:[.:]|\s|$)")
_LIST_RE = re.compile(
    r"^(?:[•▪●◦‣\-–—]\s|\d{1,2}\.\s+\S|[a-z]\.\s+\S|\(?[a-z]{1,2}\)\s+\S|\(?[ivx]{1,5}\)\s+\S|\(\d{1,2}\)\s+\S)"
)
_FOOTNOTE_START_RE = re.compile(r"^(\d{1,3})\s+(?![.\d])\S")
_SENTENCE_END_RE = re.compile(r"[.!?…][\"”’')\]]*\d{0,2}$")
_GLUED_URL_RE = re.compile(r"(?<=[^\s(\[<“\"'])\d{0,3}(?:https?://|www\.)\S+")
_SUFFIXES = frozenset(
    "tion tions sion sions cation cations ation ations ment ments ness ity ities ing ings "
    "ed er ers ance ence ive ives ous al ally able ible ic ical ure ures ize ized ise ly ty cy "
    "ional ities ism ist ists".split()
)


def is_noise(line: str) -> bool:
    """True for lines that carry no text of record: page footers, classification banners,
    lines that are only a URL."""
    return bool(FOOTER_RE.match(line) or _CLASSIFICATION_RE.match(line) or _URL_RE.match(line))


def heading(line: str, numbered_titles: bool = False) -> tuple[str, str] | None:
    """Return ``(style, label)`` when ``line`` (stripped) is a section heading, else None.

    Styles, whose nesting ``HeadingLevels`` works out in order of appearance: "roman" parts
    ("V. Goals and Objectives"); "keyword:<word>" for a keyword and its number ("Pillar 1:
    Title" is labelled "Pillar 1", "Diplomacy for Space Goal 3 – Priorities" keeps its whole
    text); "decimal:<depth>" for "3.1 Title"; with ``numbered_titles`` (pages whose footnotes
    are told apart by type size) also "decimal:0" for "1 Introduction". Short title-case
    lines are checked by ``is_minor_heading`` since they need context.
    """
    line = line.strip()
    if _ROMAN_RE.match(line):
        return "roman", line
    keyword = _KEYWORD_RE.match(line)
    if keyword and len(line) <= 100 and not (keyword.group(4) is None and ends_sentence(line)):
        label = keyword.group(1) if keyword.group(4) == ":" else line.rstrip(":").strip()
        return f"keyword:{keyword.group(2).lower()}", label
    sub = _SUBSECTION_RE.match(line)
    if sub:
        return f"decimal:{sub.group(1).count('.')}", line.rstrip(":").strip()
    if numbered_titles and _NUMBERED_TITLE_RE.match(line) and len(line.split()) <= 8:
        return "decimal:0", line
    return None


class HeadingLevels:
    """Levels of heading styles by nesting in order of appearance: a style first seen under
    another nests one level deeper; a style seen before returns to its level and closes the
    deeper ones ("V." 1, "Pillar 1" 2, "... Goal 1" 3, "3.1" 4, then "Pillar 2" 2 again)."""

    def __init__(self) -> None:
        self.stack: list[str] = []

    def level(self, style: str) -> int:
        """The level (1 = top) of a heading of ``style`` met now."""
        if style in self.stack:
            del self.stack[self.stack.index(style) + 1 :]
        else:
            self.stack.append(style)
        return len(self.stack)


def is_minor_heading(line: str, previous: str, following: str) -> bool:
    """True for a short Title Case line ("Our Partners") between a finished sentence (or
    nothing) and a full-length line starting with a capital letter."""
    return bool(
        _MINOR_HEADING_RE.match(line)
        and (not previous or ends_sentence(previous))
        and len(following) > 40
        and following[:1].isupper()
    )


def heading_wraps(line: str, following: str, width: int) -> bool:
    """True when a "Keyword N: title" heading goes on over the next line: it ends without
    "." or ":" and the next line is short and ends with a full stop ("… Workforce on Space" /
    "Diplomacy.")."""
    return (
        ":" in line
        and not line.rstrip().endswith((".", ":"))
        and 0 < len(following) < 0.6 * width
        and following.rstrip().endswith(".")
    )


def is_caption(line: str) -> bool:
    """True for a figure or table label line ("Figure 2: Results", "Table 1. Features")."""
    return bool(_CAPTION_RE.match(line.strip()))


def drop_glued_urls(line: str) -> str:
    """``line`` without URLs stuck to the word before them, with their footnote number
    ("memory-1http://trec.nist.gov/x augmented" -> "memory- augmented"); URLs after a
    space are the text's own and stay."""
    return _GLUED_URL_RE.sub("", line)


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


def drop_note_marks(line: str, numbers: set[int]) -> str:
    """``line`` without the reference marks of footnotes ``numbers`` (those moved out of its page):
    a number glued to the lower-case word (or its comma) or the closing quote before it ("Directives5,"
    -> "Directives,", "Act,10 the" -> "Act, the", "spheres.”7" -> "spheres.”"; not "G7"), or just after a sentence's full stop,
    before the next sentence ("2021.1 The" -> "2021. The"). Decimals and section numbers stay
    ("Objectives 1.4 (", "3.1 Commercial"): that full stop must follow two word characters."""
    if not numbers:
        return line
    alternatives = "|".join(str(n) for n in sorted(numbers, reverse=True))
    glued = rf"(?:(?<=[a-z]{{2}})|(?<=[a-z]{{2}}[,;])|(?<=[)”’\"]))(?:{alternatives})(?=[\s,;:)]|$)"
    after_stop = rf"(?<=[A-Za-z0-9)]{{2}}\.)(?:{alternatives})(?=\s+[A-Z“\"]|$)"
    return re.sub(f"{glued}|{after_stop}", "", line)


def starts_paragraph(line: str, previous: str, width: int) -> bool:
    """True when ``line`` begins a new paragraph after ``previous`` on a page whose body
    lines are about ``width`` characters: a list item, an opening quote or dash after a
    finished sentence, or any line after a finished sentence that ends well short of the
    line width. A line starting with a lowercase letter, or after a line so full that this
    line's first word would not have fitted on it, goes on with the paragraph."""
    if not previous:
        return True
    if is_list_item(line):
        return True
    if line[:1].islower():
        return False
    first_word = len(line.split(" ", 1)[0])
    if len(previous) + 1 + first_word > width:
        return False  # the previous line is full: its paragraph goes on
    if line[:1] in "“\"" and (ends_sentence(previous) or len(previous) < 0.6 * width):
        return True
    if not ends_sentence(previous):
        return False
    return len(previous) < 0.9 * width


def join_hyphenated(left: str, right: str, vocabulary: frozenset[str]) -> str:
    """Join two lines where ``left`` ends with a hyphen; return the joined text.

    ``vocabulary`` holds the document's lowercase words. The hyphen stays when ``right`` starts with a capital,
    the fragment before it has a capital after its first letter ("USG-"), the hyphenated form is used elsewhere,
    or both parts are words of their own (a compound: "long-term", "space-based"). It is dropped when the joined
    word is in the document or the word list, or inflects a word of the document ("inter-" + "nationally";
    "para-" + "phrasing" where the document has "paraphrase"), when the second part is a bare suffix ("cation"),
    or when it is no word of its own: pieces of one word ("ac-" + "cidently"; not "de-" + "escalate": "ee").
    """
    head = re.search(r"([A-Za-z]+) ?-$", left)
    tail = re.match(r"([a-z]+)", right)
    if not head or not tail or not head.group(1)[1:].islower() and len(head.group(1)) > 1:
        return left + right
    first, second = head.group(1), tail.group(1)
    cut = left[: head.end(1)]
    if f"{first}-{second}".lower() in vocabulary:
        return left.rstrip(" -") + "-" + right if left.endswith(" -") else left + right
    joined = (first + second).lower()
    if is_word(joined, vocabulary) or second in _SUFFIXES or any(b in vocabulary for b in base_forms(joined)):
        return cut + right
    if is_word(first) and is_word(second):
        return left + right if not left.endswith(" -") else cut + "-" + right
    if not is_word(second) and not (first[-1].lower() in "aeiou" and second[0] == first[-1].lower()):
        return cut + right
    return left + right if not left.endswith(" -") else cut + "-" + right


def rejoin_inline(line: str, vocabulary: frozenset[str]) -> str:
    """``line`` with words broken by a hyphen and a space inside it ("inter- nationally")
    joined when the joined word is in the document or the word list."""
    def join(match: re.Match) -> str:
        first, second = match.group(1), match.group(2)
        if f"{first}-{second}".lower() not in vocabulary and is_word(first + second, vocabulary):
            return first + second
        return match.group(0)

    return re.sub(r"\b([A-Za-z]+)- ([a-z]+)\b", join, line)


def _whole_word(token: str) -> bool:
    """A word of the English word list, a lone letter only when it is "a" or "I"."""
    return (len(token) > 1 or token.lower() in "ai") and is_word(token)


_NOT_AFTER = r"(?![\w/+−=()|’'-])"  # letters inside formulas, symbols or codes ("S j+n", "n/a", "e-rental")
_SPLIT_PAIR = re.compile(rf"(?<![\w/+−=(|⟨.-])([A-Za-z]+) (?=([a-z]+){_NOT_AFTER})")
_NEXT_WORD = re.compile(rf"[a-z]+ ([a-z]+){_NOT_AFTER}")
_PREV_WORD = re.compile(r"([A-Za-z]*[a-z])(\W?)\s$")  # the word before a lone letter, and a mark after it


def _pieces(first: str, second: str, vocabulary: frozenset[str]) -> bool:
    """Whether ``first second`` is one word cut in two (see rejoin_split_words)."""
    if len(first) > 1 and first.isupper():
        return False  # an acronym before a word ("EO is")
    return is_word(first + second, vocabulary) and (
        not _whole_word(second) or (len(first) > 1 and not _whole_word(first)))


def _cut_letter(line: str, start: int, first: str, second: str, vocabulary: frozenset[str]) -> bool:
    """Whether ``first`` (at ``start``) is a small letter cut from ``second`` ("t hose"): they join into a word
    of 4 letters or more after a lower-case word the letter does not end ("origin s and", "SX l and D" stay)."""
    if len(first) != 1 or not first.islower() or first in "ai" or len(second) < 3:
        return False
    prev = _PREV_WORD.search(line, max(0, start - 60), start)
    return bool(prev) and is_word(first + second, vocabulary) and (
        bool(prev.group(2)) or not is_word(prev.group(1) + first, vocabulary))


def rejoin_split_words(line: str, vocabulary: frozenset[str]) -> str:
    """``line`` with words that PDF extraction cut by a space ("Gr oup", "op erational",
    "F rance", "relate s") joined again: when the joined word is in the document or the word
    list and the part after the space is no word of its own, or the part before it (two letters
    or more) is none. Two words that join into a third ("a typical", "S and") stay apart, and a
    piece that joins the word after it goes there ("in fo reign" -> "in foreign")."""
    def join(match: re.Match) -> str:
        first, second = match.group(1), match.group(2)
        if not (_pieces(first, second, vocabulary) or _cut_letter(line, match.start(), first, second, vocabulary)):
            return match.group(0)
        after = _NEXT_WORD.match(line, match.end())
        if after and _pieces(second, after.group(1), vocabulary):
            return match.group(0)
        return first

    return _SPLIT_PAIR.sub(join, line)


def join_lines(left: str, right: str, vocabulary: frozenset[str]) -> str:
    """Join two wrapped lines of one paragraph: hyphen rules at a line-end hyphen, else a space."""
    left, right = left.rstrip(), right.strip()
    if re.search(r"[A-Za-z] ?-$", left) and not left.endswith("--"):
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
