"""Where an answer of each type can stand in a sentence: the regular expressions of short.py's
types (amounts, dates, counts, names...), the spans no number may come from (document symbols
and references to pages, sections, tables), and matching them quickly.

Python's regular expressions try a pattern at every position of a sentence, and the
case-insensitive alternatives of the numeric types ("more than", "twenty-five") are slow to try:
``matches`` tries a pattern only where one of its matches can begin (a digit, or a word that
begins every alternative) and finds exactly what ``finditer`` finds (tested as a property).
"""

from __future__ import annotations

import re

_MONTH = (r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?"
          r"|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)")
_QUALIFIER = r"(?:(?i:more than|less than|fewer than|over|under|about|around|nearly|almost|some|only|up to|at least|approximately|roughly)\s)?"
_NUM = r"\d[\d,]*(?:\.\d+)?"
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|bn|m)\b)?"
_NUMBER_WORDS = (r"(?i:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
                 r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
                 r"|seventeen|eighteen|nineteen|hundreds?|thousands?|millions?|dozens?|several)(?:\s(?:hundred|thousand|million))?")
_UNIT = r"(?:\s(?!(?:of|and|the|in|to|for|or|per|a|an|on|at|by|is|are|was|were)\b)[a-z]+)?"
_CAP = r"[A-Z][\w’'&.-]*[\w’']|[A-Z]"
_NAME = rf"(?:{_CAP})(?:\s(?:(?:of|for|and|the|on|de|du|la|von|van)\s)*(?:{_CAP}))*"
_PATTERNS = {
    "percentage": (rf"{_QUALIFIER}{_NUM}\s?(?:%|per ?cent\b|percent\b)"
                   rf"|\b{_QUALIFIER}(?:(?:one|two|three|four)[- ](?:thirds?|quarters?|fifths?)|half|a third|a quarter)\b"),
    "amount": rf"{_QUALIFIER}(?:(?:US\$|[$€£¥])\s?{_NUM}{_SCALE}|{_NUM}{_SCALE}\s(?:euros?|dollars?|pounds?|USD|EUR|GBP)\b)",
    "date": (rf"\b\d{{1,2}}(?:\s(?:to|-|–)\s\d{{1,2}})?\s{_MONTH}\s\d{{4}}\b|\b{_MONTH}\s\d{{1,2}}(?:st|nd|rd|th)?,?\s\d{{4}}\b"
             rf"|\b{_MONTH}\s\d{{4}}\b|\b(?:end|beginning|start|middle) of \d{{4}}\b|\b(?:1[5-9]|20)\d\d\b"),
    "count": rf"{_QUALIFIER}(?:between {_NUM} and )?\b{_NUM}{_SCALE}{_UNIT}|\b{_QUALIFIER}{_NUMBER_WORDS}\b{_UNIT}",
    "person": rf"\b(?:{_CAP})(?:\s(?:{_CAP})){{1,3}}",
    "organisation": rf"\b{_NAME}",
    "place": rf"\b{_NAME}(?:,\s(?:and\s)?{_NAME})*(?:,?\sand\s{_NAME})?",
    "term": rf"\b[A-Z]+(?:\.\d+)?(?:/[\w.]+)+|\b\d+/\d+\b|\b[\w.]*[_.][\w.]*\w|\b{_NAME}",
}
COMPILED = {k: re.compile(v) for k, v in _PATTERNS.items()}
_QUALIFIERS = ("more than", "less than", "fewer than", "over", "under", "about", "around", "nearly", "almost", "some",
               "only", "up to", "at least", "approximately", "roughly")
_NUMBER_STARTS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
                  "thirteen", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
                  "hundred", "thousand", "million", "dozen", "several")
# Where a match of a pattern can begin: at a digit (when True) or where one of the words begins in
# the lower-cased sentence (every alternative of the pattern begins with one of them)
STARTS = {
    "percentage": (True, _QUALIFIERS + ("one", "two", "three", "four", "half", "a third", "a quarter")),
    "amount": (True, _QUALIFIERS + ("us$", "$", "€", "£", "¥")),
    "count": (True, _QUALIFIERS + ("between",) + _NUMBER_STARTS),
    "page": (False, ("p.", "pp.", "page", "section", "§", "chapter", "fig.", "figure", "table", "article",
                     "paragraph")),
}
_DIGIT = re.compile(r"\d")
SYMBOL = re.compile(r"\b[A-Z]+(?:\.\d+)?(?:/[A-Z0-9.]+)+|\b\d+/\d+(?:/\d+)?\b")
PAGE = re.compile(r"\b(?:pp?\.|pages?|sections?|§|chapters?|fig\.|figures?|tables?|articles?|paragraphs?)\s?\d+(?:\.\d+)*"
                   r"(?:\s?(?:[-–]|and|to|,)\s?\d+(?:\.\d+)*)*", re.I)


def no_number_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans no short answer may take numbers from: document symbols and page references."""
    if not _DIGIT.search(sentence):
        return []  # both hold a digit
    symbols = [m.span() for m in SYMBOL.finditer(sentence)] if "/" in sentence else []
    return symbols + [m.span() for m in matches(PAGE, "page", sentence)]


def matches(pattern: re.Pattern, kind: str, sentence: str):
    """``pattern.finditer(sentence)``, trying only the positions where a match can begin
    (``STARTS[kind]``); plain finditer for a kind without starts or a sentence that lower-casing
    changes in length."""
    starts = STARTS.get(kind)
    lowered = sentence.lower()
    if starts is None or len(lowered) != len(sentence):
        yield from pattern.finditer(sentence)
        return
    digits, words = starts
    places = {m.start() for m in _DIGIT.finditer(sentence)} if digits else set()
    for w in words:
        at = lowered.find(w)
        while at >= 0:
            places.add(at)
            at = lowered.find(w, at + 1)
    end = 0
    for at in sorted(places):
        if at < end:
            continue
        m = pattern.match(sentence, at)
        if m:
            yield m
            end = max(m.end(), at + 1)
