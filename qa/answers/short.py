"""Short answers: what kind of answer a question wants, and where in a sentence it stands."""

from __future__ import annotations

import re

_MONTH = r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
_PATTERNS = {
    "amount": r"\$\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|trillion|thousand))?|\d[\d,]*(?:\.\d+)?\s?(?:%|percent)",
    "date": rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|{_MONTH}\s+\d{{4}}|\b(?:19|20)\d{{2}}\b",
    "number": r"\b\d[\d,]*(?:\.\d+)?(?:\s(?:million|billion|trillion))?(?:\s(?:other\s)?[a-z]+)?",
    "name": r"\b[A-Z][\w’'.&-]*(?:\s(?:of|for|and|the|de|’s)?\s?[A-Z][\w’'.&-]*)*",
}
_WANTS = [
    ("amount", r"\bhow much\b|\b(value|amount|worth|cost|budget|percentage|share|funding)\b"),
    ("date", r"\bwhen\b|\bwhat (year|date|month|day)\b|\bwhich (year|month|date)\b|\bdated?\b"),
    ("number", r"\bhow many\b|\bnumber of\b"),
    ("name", r"\bwho\b|\bwhose\b|\bwhere\b|\bwhich (country|countries|nation|city|agency|organi[sz]ation|office|bureau|company|official|person|state|program)\b|\bwhat (country|agency|organi[sz]ation|office|program|bureau)\b"),
]


def wanted_type(question: str) -> str | None:
    """"amount", "date", "number", "name" or None, from the question's wording."""
    q = question.lower()
    for kind, pattern in _WANTS:
        if re.search(pattern, q):
            return kind
    return None


def short_answer(question: str, sentence: str, kind: str | None) -> tuple[int, int] | None:
    """Offsets inside ``sentence`` of the number, date, amount or name the question asks for."""
    if kind is None:
        return None
    q = question.lower()
    kinds = [kind] + (["amount", "number"] if kind == "amount" else ["date"] if kind == "number" else [])
    for k in kinds:
        for m in re.finditer(_PATTERNS[k], sentence):
            text = m.group().strip(" ,.;:")
            if not text or text.lower() in q or (k == "name" and m.start() == 0 and " " not in text):
                continue
            return m.start(), m.start() + len(text)
    return None


