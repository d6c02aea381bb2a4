"""Short answers: what kind of answer a question wants, and where in a sentence it stands.

Patterns (qa.answers.patterns), not a trained entity recogniser: spaCy installs from the registry, but its English
models are not published there (only unofficial re-uploads by third parties), so the types are
found with regular expressions, and places are checked against pycountry's ISO 3166
names of countries and their subdivisions. A candidate is never made of the question's own words
(nor an acronym of them), never a number taken from inside a document symbol (A/CONF.164/37,
A/68/189) or a reference to a page, section, table or figure (p. 12, Section 4.6), never a bare
year for a count, a person's name made of institution words ("National Space Council") nor a
word with its footnote marker ("obstacle.117"). Of the candidates, the one chosen is, in order:
the one carrying the noun the question asks for ("Quasi-Zenith Satellite System" for "which
satellite system", "eighty countries" for "how many countries"); for a place, a known one;
the one whose sentence holds most of the question's words; the one closest to them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.answers.patterns import COMPILED, matches, no_number_spans
from qa.retrieval.tokenize import STOP_WORDS

TYPES = ("percentage", "amount", "date", "count", "person", "organisation", "place", "term", "definition")

_FALLBACK = {"amount": ("amount", "percentage", "count"), "percentage": ("percentage",), "count": ("count", "amount"),
             "person": ("person", "organisation"), "organisation": ("organisation",), "place": ("place",),
             "date": ("date",), "term": ("term",)}
_WANTS = [
    ("percentage", r"\bwhat (percentage|proportion|share|fraction|per ?cent)\b|\bhow many per ?cent\b|\bper ?cent(age)? of\b"),
    ("amount", r"\bhow much\b"),
    ("date", r"\bwhen\b|\b(what|which) (year|date|month|day)\b|\bby when\b|\bdated?\b"),
    ("count", r"\bhow many\b|\bnumber of\b"),
    ("person", r"(^|, )(who|whom|whose)\b|\b(by|to|for|with|from) whom\b|\b(which|what) (person|official|author|president|director|chair|minister)\b"),
    ("organisation", r"\b(which|what) (\w+ )?(agency|organi[sz]ation|body|company|committee|office|bureau|institution|"
                     r"university|council|commission|firm|entity|engine|association|centre|center)\b"),
    ("place", r"\bwhere\b|\b(which|what) (\w+ )?(country|countries|nation|nations|region|city|state|states|location|place|site)\b"),
    ("amount", r"\b(budget|cost|costs|worth|funding|invest(ed|ment)?|spend|spent|price|revenue|value)\b"),
    ("count", r"\bhow (large|big|long|high|far|old)\b|\bwhat (size|number)\b"),
    ("definition", r"^(what|who) (is|are|was|were) (?!the names? of\b)(an? |the )?[^,;]{1,60}\?$|\bwhat does [^,;]+ (mean|stand for)\b"),
    ("term", r"\bwhich\b|\bwhat (kind|type|sort) of\b|\bname of\b|\bwhat [\w-]+ is (called|known as)\b"),
]
_WANTS_COMPILED = [(kind, re.compile(pattern)) for kind, pattern in _WANTS]
_NOT_NAMES = {"article", "section", "chapter", "part", "annex", "table", "figure", "page", "paragraph", "resolution",
              "in", "on", "at", "the", "a", "an", "this", "these", "that", "it", "its", "by", "for", "as", "if", "we",
              # sentence openers that are capitalised only for standing first
              "consider", "following", "through", "however", "moreover", "although", "while", "since", "after",
              "before", "during", "under", "according", "see", "also", "thus", "therefore", "today", "finally"}
_TITLES = {"president", "director", "chair", "chairman", "minister", "secretary", "ambassador", "administrator",
           "dr", "dr.", "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "professor", "prof.", "general", "deputy"}
_NOT_PERSON = {"agency", "office", "department", "ministry", "council", "committee", "commission", "group", "association",
               "university", "institute", "centre", "center", "bureau", "administration", "command", "programme",
               "program", "force", "national", "international", "united", "states", "space", "union", "court",
               "government", "corporation", "company", "foundation", "organization", "organisation", "treaty", "act",
               "review", "report", "strategy", "policy", "plan", "fund", "framework", "regime", "initiative",
               "system", "network", "station", "mission", "project", "conference", "summit", "session", "assembly",
               "parliament", "congress", "senate", "bank", "budget", "law", "declaration", "convention",
               "agreement", "accords", "guidelines", "principles", "directive", "resolution", "service", "services"}
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z•-])|\n+")
_POSSESSIVE = re.compile(r"'s$")
_GLUED_MARKER = re.compile(r"[a-z]+\.\d+")
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d")
_WORD = re.compile(r"[\w’'$€£%]+")


@lru_cache(maxsize=1024)
def wanted_type(question: str) -> str | None:
    """The kind of answer ``question`` asks for (one of ``TYPES``), or None (a description)."""
    q = " ".join(question.lower().split())
    for kind, pattern in _WANTS_COMPILED:
        if pattern.search(q):
            return kind
    return None


def _words(text: str) -> set[str]:
    """Lowercase words of ``text``, a possessive's "'s" dropped ("Singapore’s" -> "singapore")."""
    return {_POSSESSIVE.sub("", w.lower().replace("’", "'")).strip("'") for w in _WORD.findall(text)}


@lru_cache(maxsize=1024)
def _question_words(question: str) -> frozenset[str]:
    """The question's words and the acronyms of its capitalised runs: no candidate may be these."""
    return frozenset(_words(question) | _initials(question))


@lru_cache(maxsize=1024)
def _anchor_words(question: str) -> frozenset[str]:
    """The question's words of more than three letters: where a short answer is looked for near."""
    return frozenset(w for w in _words(question) if len(w) > 3 and w not in STOP_WORDS)


def _initials(question: str) -> set[str]:
    """Acronyms of the question's capitalised runs ("Satellite Industries Association" -> "sia")."""
    out = set()
    for run in re.findall(r"(?:[A-Z][\w-]*\s?(?:of |for |and |the )?)+", question):
        caps = [w for w in run.split() if w[:1].isupper()]
        if len(caps) >= 2:
            out.add("".join(w[0] for w in caps).lower())
    return out


def candidates(question: str, sentence: str, kind: str | None, first: bool = False) -> list[tuple[int, int]]:
    """Every ``(start, end)`` in ``sentence`` that could answer a question of type ``kind``; only
    the first one found when ``first`` (enough to know whether there is any).

    Question words, acronyms of them and numbers inside symbols or page references are left out.
    """
    if kind is None:
        return []
    if kind == "definition":
        span = definition_span(question, sentence)
        return [span] if span else []
    q_words = _question_words(question)
    blocked = None  # found only when a candidate needs the check
    found = []
    for k in _FALLBACK[kind]:
        for m in matches(COMPILED[k], k, sentence):
            start, end = m.span()
            text = sentence[start:end].rstrip(" ,.;:’'")
            end = start + len(text)
            while text and text.split()[-1].lower() in _NOT_NAMES and k in ("person", "organisation", "place", "term"):
                text = text[: text.rfind(" ")] if " " in text else ""
                end = start + len(text)
            while k == "person" and " " in text and text.split()[0].lower().strip("’'") in q_words | _TITLES:
                cut = text.index(" ") + 1  # "SIA President Tom Stroup" -> "Tom Stroup"
                text, start = text[cut:], start + cut
            if not text or end <= start:
                continue
            words = _words(text)
            if words and words <= q_words:
                continue
            figures = {w for w in words if any(ch.isdigit() for ch in w)}
            if figures and figures <= q_words and k in ("amount", "percentage", "count", "date"):
                continue   # "2025, including" for "... have for 2025?": the question's own figure
            if k in ("person", "organisation", "place", "term") and text.split()[0].lower() in _NOT_NAMES:
                continue
            if k == "person" and any(w.lower().strip("’'s") in _NOT_PERSON for w in text.split()):
                continue   # "National Space Council" is no one's name
            if k == "term" and _GLUED_MARKER.fullmatch(text):
                continue   # a word with its footnote marker glued on ("obstacle.117")
            if k == "count" and _YEAR.fullmatch(text):
                continue   # a bare year counts nothing
            if k != "term":
                blocked = no_number_spans(sentence) if blocked is None else blocked
                if any(a <= start < b or a < end <= b for a, b in blocked):
                    continue
            found.append((start, end))
            if first:
                return found
        if found:
            break
    return found


def definition_span(question: str, sentence: str) -> tuple[int, int] | None:
    """For "What is X?": the phrase the sentence says X is ("X is/are/refers to ..." or "X, a ...,")."""
    m = re.match(r"(?:what|who) (?:is|are|was|were) (?:an? |the )?(.+?)\?*$", " ".join(question.split()), re.I)
    m = m or re.search(r"what does (.+?) (?:mean|stand for)", question, re.I)
    if not m:
        return None
    subject = re.escape(m.group(1).strip())
    copula = re.search(rf"\b{subject}\b\)?(?:\s?\([^)]*\))?\s(?:is|are|was|were|refers to|means|stands for)\s"
                       rf"(?:also\s)?(.{{3,200}}?)(?:[.;:]\s|[.;]?$|,\s(?:which|and|but|who)\s)", sentence, re.I)
    apposition = re.search(rf"\b{subject}\b(?:\s?\([^)]*\))?,\s((?:an?|the)\s[^,;.]{{3,200}}?),", sentence, re.I)
    found = copula or apposition
    return found.span(1) if found else None


_AUX = {"did", "does", "do", "is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could", "the",
        "of", "its", "their", "a", "an", "in", "on", "at", "to", "be"}


@lru_cache(maxsize=1024)
def _focus(question: str) -> str:
    """The noun a question asks for, the head of its "which ..." or "how many ..." phrase: "how
    many countries" -> "countries", "which Japanese satellite system will" -> "system"; "" when
    it names none."""
    m = re.search(r"\bhow many ((?:[\w’'-]+ ?){1,4})|\b(?:which|what) ((?:[\w’'-]+ ?){1,4})", question, re.I)
    if not m:
        return ""
    head = ""
    for w in (m.group(1) or m.group(2)).lower().split():
        if w in _AUX or w.endswith("ed"):
            break
        head = w
    return head


def _names_focus(sentence: str, span: tuple[int, int], focus: str) -> bool:
    """Whether the candidate ``span`` carries the asked-for noun after its first word ("Quasi-Zenith
    Satellite System" for "which satellite system") or is directly followed by it ("eighty
    countries" for "how many countries", "108,442 English questions" for "how many questions")."""
    if not focus:
        return False
    inside = [w.lower() for w in _WORD.findall(sentence[span[0]:span[1]])]
    after = [w.lower() for w in _WORD.findall(sentence[span[1]:span[1] + 40])][:2]
    return focus.rstrip("s") in {w.rstrip("s") for w in inside[1:] + after}


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    """Lowercase names of the world's countries and their subdivisions (pycountry's ISO 3166 data);
    empty when pycountry is not installed."""
    try:
        import pycountry
    except ImportError:
        return frozenset()
    names = {getattr(c, a).lower() for c in pycountry.countries for a in ("name", "common_name", "official_name")
             if getattr(c, a, None)}
    return frozenset(names | {s.name.lower() for s in pycountry.subdivisions})


def load_places() -> int:
    """Load the place names now (a page's warm-up does, so the first place question does not pay
    for it); how many there are."""
    return len(_places())


def _known_place(text: str) -> bool:
    """Whether ``text`` is (a list of) countries or subdivisions ("Germany and France", "Aceh Province")."""
    parts = [p for p in re.split(r",\s(?:and\s)?|\sand\s", text) if p]
    places = _places()
    return bool(parts) and all(re.sub(r"\s(?:province|state|region)$", "", p.lower()) in places for p in parts)


def has_short_answer(question: str, sentence: str, kind: str | None) -> bool:
    """Whether ``sentence`` holds any candidate of type ``kind`` (what ``short_answer`` would find)."""
    return bool(candidates(question, sentence, kind, first=True))


def short_answer(question: str, sentence: str, kind: str | None) -> tuple[int, int] | None:
    """Offsets inside ``sentence`` of the short answer of type ``kind``: of the candidates, the one
    closest (in characters) to a word of the question found in the sentence; None when none fits."""
    found = candidates(question, sentence, kind)
    if not found:
        return None
    q_words = _anchor_words(question)
    anchors = [m.start() for m in _WORD.finditer(sentence) if m.group().lower() in q_words]
    if not anchors:
        return found[0]

    def distance(span: tuple[int, int]) -> int:
        return min(min(abs(a - span[0]), abs(a - span[1])) for a in anchors)

    def anchored(span: tuple[int, int]) -> int:
        """How many of the question's words the candidate's own sentence holds."""
        lo = max((m.end() for m in _SENTENCE_END.finditer(sentence, 0, span[0])), default=0)
        end = _SENTENCE_END.search(sentence, span[1])
        return len(_words(sentence[lo:end.start() if end else len(sentence)]) & q_words)

    focus = _focus(question)
    return min(found, key=lambda s: (not _names_focus(sentence, s, focus),
                                     kind == "place" and not _known_place(sentence[s[0]:s[1]]),
                                     -anchored(s), distance(s), s[0]))
