"""The lexical tokenizer shared by BM25 indexing and queries.

Keeps identifiers that matter in policy text whole ("SPD-5", "E.O. 13873", "$469", "MTCR",
"ASAT"), adds the parts of hyphenated and dollar tokens so "469 billion" still meets "$469
billion", drops English stop words and stems plain alphabetic words with the Snowball
(Porter 2) stemmer from PyStemmer (a C extension: fast enough for 100,000s of passages).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(
    r"""
    \$\d+(?:[.,]\d+)*%?              # amounts: $469, $1.5
  | \d+(?:[.,]\d+)*%?                # numbers, years, 13873, 3.5%
  | (?:[^\W\d_]\.){2,}               # dotted abbreviations: u.s., e.o.
  | [^\W_]+(?:['’-][^\W_]+)*         # words, with inner hyphens/apostrophes: spd-5, space-based
    """,
    re.VERBOSE,
)

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()
)

_stemmer = Stemmer.Stemmer("english")


def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("’", "'").replace("‘", "'").replace("\u2010", "-").replace("\u2011", "-")


@lru_cache(maxsize=100_000)  # words repeat, so most are looked up (about 27 MB when full)
def _terms_of(raw: str) -> tuple[str, ...] | None:
    """The BM25 terms of one raw token of ``_TOKEN``; None for a stop word."""
    if raw in STOP_WORDS:
        return None
    if raw.isalpha():
        return (_stem(raw),)
    terms = [raw]
    if raw.startswith("$"):
        terms.append(raw[1:])
    elif "-" in raw or "'" in raw:
        parts = [p for p in re.split(r"['-]", raw) if p and p not in STOP_WORDS and p != "s"]
        terms.extend(_stem(p) if p.isalpha() else p for p in parts)
    return tuple(terms)


def tokenize(text: str) -> list[str]:
    """Return the BM25 terms of ``text`` in order (with repeats).

    Stop words are dropped unless nothing else is left, so a text with any letter or digit
    always yields at least one term.
    """
    terms: list[str] = []
    stops: list[str] = []
    for raw in _TOKEN.findall(_fold(text)):
        if raw.endswith(".") and raw.count(".") >= 2:  # u.s. -> u.s
            raw = raw.rstrip(".")
        found = _terms_of(raw)
        if found is None:
            stops.append(raw)
        else:
            terms.extend(found)
    if terms or stops:
        return terms or stops
    # Letters that NFKC folds into combining marks (e.g. U+037A) still count as a term.
    return re.findall(r"[^\W_]+", text.lower()) or [ch for ch in text.lower() if ch.isalnum()]
