"""Quote -> every place it occurs in the corpus: exact matches first, then near matches.

Exact matching ignores case, whitespace and line breaks, curly versus straight quotes and the
kind of dash. Near matches (a misquote, a few words paraphrased, a quote broken by a footnote)
are looked for only in the passages the BM25 index ranks highest for the quote, and aligned
word by word with rapidfuzz's normalised Indel similarity; every match's ``text`` is the
verbatim document text at its offsets.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from qa.answers.citations import primacy
from qa.answers.folding import Folded, clean_quote, fold
from qa.retrieval.tokenize import tokenize
from qa.types import Match

NEAR_THRESHOLD = 0.75
EXTRA_THRESHOLD = 0.85
CONTEXT_CHARS = 120

class QuoteFinder:
    """Finds quotes in the documents of an index; folded document texts are built once.

    ``retriever`` is either back end (qa.retrieval.retriever): the finder reads its documents,
    narrows exact lookups with ``candidate_documents`` and takes near-match candidates from
    ``lexical_chunks``.
    """

    def __init__(self, retriever) -> None:
        self.retriever = retriever
        self.documents = retriever.documents
        self._folded: dict[str, Folded] = {}

    def folded(self, doc_id: str) -> Folded:
        if doc_id not in self._folded:
            self._folded[doc_id] = fold(self.documents[doc_id].text)
        return self._folded[doc_id]

    def find(self, quote: str, limit: int = 20, near: bool = True, candidates: int = 20,
             max_documents: int | None = None) -> list[Match]:
        """Exact matches in every document (primary sources first), then near matches ranked by
        similarity (only close ones, >= 0.85, beside exact matches). ``max_documents`` caps how
        many candidate documents are scanned (for callers that need only a few places).
        Raises QueryError for a bad quote."""
        text = clean_quote(quote)
        needle = fold(text).text
        exact: list[Match] = []
        for doc_id in self._candidate_documents(text)[:max_documents]:
            if len(exact) >= limit:
                break
            hay = self.folded(doc_id)
            pos = hay.text.find(needle)
            while pos >= 0 and len(exact) < limit:
                start, end = hay.span(pos, pos + len(needle))
                exact.append(self._match(doc_id, start, end, 1.0, True))
                pos = hay.text.find(needle, pos + 1)
        exact.sort(key=lambda m: (primacy(self.documents[m.doc_id]), m.doc_id, m.start))
        if not near:
            return exact
        # Other places that quote it with small changes (punctuation, a word) still count, but
        # beside exact matches only close ones do.
        threshold = EXTRA_THRESHOLD if exact else NEAR_THRESHOLD
        extra = [m for m in self.near(text, limit=limit, candidates=candidates, threshold=threshold)
                 if not any(e.doc_id == m.doc_id and e.start < m.end and m.start < e.end for e in exact)]
        return (exact + extra)[:limit]

    def find_in_chunks(self, quote: str, chunks, threshold: float = EXTRA_THRESHOLD) -> list[Match]:
        """Places of ``quote`` inside the given passages only (exact, or at least ``threshold``
        similar by rapidfuzz's alignment): a cost that does not grow with the corpus."""
        needle = fold(clean_quote(quote)).text
        words = long_words(needle)
        found: list[Match] = []
        for chunk in chunks:
            if words and not _shares_words(words, chunk.text.lower().replace("\u00ad", "")):
                continue  # the same test as below on the folded text, without folding it
            region = fold(chunk.text)
            pos = region.text.find(needle)
            if pos >= 0:
                a, b = region.span(pos, pos + len(needle))
                found.append(self._match(chunk.doc_id, chunk.start + a, chunk.start + b, 1.0, True))
                continue
            if not _may_reach(needle, region.text, threshold):
                continue
            rough = fuzz.partial_ratio_alignment(needle, region.text, score_cutoff=threshold * 100)
            if rough is not None and rough.score >= threshold * 100:
                a, b = region.span(*_widen(region.text, rough.dest_start, rough.dest_end))
                found.append(self._match(chunk.doc_id, chunk.start + a, chunk.start + b, rough.score / 100, False))
        found.sort(key=lambda m: (not m.exact, -m.similarity, primacy(self.documents[m.doc_id]), m.start))
        kept: list[Match] = []
        for m in found:  # overlapping passages hold the same place twice
            if not any(k.doc_id == m.doc_id and k.start < m.end and m.start < k.end for k in kept):
                kept.append(m)
        return kept

    def _candidate_documents(self, quote: str) -> list[str]:
        """Documents that can hold ``quote`` exactly: those whose passages contain all of its
        whole words (the edge words may be cut mid-word), as the back end's postings tell."""
        return self.retriever.candidate_documents(tokenize(" ".join(quote.split()[1:-1])))

    def near(self, quote: str, limit: int = 20, candidates: int = 20, threshold: float = NEAR_THRESHOLD,
             precise: bool = True) -> list[Match]:
        """Best fuzzy alignments of ``quote`` inside the passages BM25 ranks highest for it.

        ``precise=False`` keeps rapidfuzz's rough alignment (a window of the quote's length,
        widened to whole words) instead of searching word windows: faster, looser edges."""
        q = fold(clean_quote(quote)).text
        qwords = _words(q)
        if not qwords:
            return []
        found: list[Match] = []
        for chunk in self.retriever.lexical_chunks(tokenize(quote), candidates):
            doc = self.documents[chunk.doc_id]
            lo = max(0, chunk.start - len(quote))
            hi = min(len(doc.text), chunk.end + len(quote))
            region = fold(doc.text[lo:hi])
            rough = fuzz.partial_ratio_alignment(q, region.text)
            if rough is None or rough.score < threshold * 100 - 15:
                continue  # cheap test in C first: no window of this passage can come close
            if precise:
                best = _align(q, qwords, region, rough.dest_start, rough.dest_end)
            else:
                best = (rough.score / 100, *_widen(region.text, rough.dest_start, rough.dest_end))
            if best and best[0] >= threshold:
                score, a, b = best
                start, end = region.span(a, b)
                found.append(self._match(doc.doc_id, lo + start, lo + end, score, False))
        found.sort(key=lambda m: (-m.similarity, primacy(self.documents[m.doc_id]), m.start))
        kept: list[Match] = []
        for m in found:  # overlapping chunks find the same place twice
            if not any(k.doc_id == m.doc_id and k.start < m.end and m.start < k.end for k in kept):
                kept.append(m)
        return kept[:limit]

    def _match(self, doc_id: str, start: int, end: int, similarity: float, exact: bool) -> Match:
        doc = self.documents[doc_id]
        return Match(
            doc_id=doc_id, title=doc.title, page=doc.page_at(start), section=doc.section_at(start),
            start=start, end=end, text=doc.text[start:end], similarity=round(similarity, 4), exact=exact,
            context_before=doc.text[max(0, start - CONTEXT_CHARS):start],
            context_after=doc.text[end:end + CONTEXT_CHARS],
        )


@lru_cache(maxsize=4096)
def _bare(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word)


def _words(folded: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), _bare(m.group())) for m in re.finditer(r"\S+", folded)]


def long_words(needle: str) -> frozenset[str]:
    """The needle's plain words (letters and digits only) of four characters or more."""
    return frozenset(w for w in needle.split() if len(w) >= 4 and w.isalnum())


def _shares_words(words: frozenset[str], text: str, share: float = 0.85) -> bool:
    """Whether ``text`` holds at least ``share`` of the needle's plain words (letters and digits
    only, four or more) (a
    quote that is 90% alike elsewhere keeps nearly all of its words; a word cut in two by a PDF,
    "op erational", is among the few it may lose). A few microseconds, before the alignment."""
    return not words or sum(w in text for w in words) >= share * len(words)


def _may_reach(needle: str, text: str, threshold: float) -> bool:
    """False only when no window of ``text`` can be ``threshold``-similar to ``needle``: a
    window's longest common subsequence with the needle is at most the whole text's, and an
    Indel ratio of t needs at least t*m/(2-t) of it (m the shorter length). About 1 µs."""
    m = min(len(needle), len(text))
    return LCSseq.similarity(needle, text) >= threshold * m / (2 - threshold) - 1e-9


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` grown to whole words and stripped of spaces at its edges."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, max(end, start + 1)


def _align(q: str, qwords: list, region: Folded, near_start: int, near_end: int) -> tuple[float, int, int] | None:
    """The region window (whole words, starting and ending on a quote word) most similar to q,
    starting and ending within half a quote's length of a rough alignment found in C."""
    words = _words(region.text)
    vocab = {w for _, _, w in qwords}
    n = len(qwords)
    shortest, longest = max(1, int(n * 0.6)), int(n * 1.5) + 2
    slack = len(q) // 2 + 1
    best: tuple[float, int, int] | None = None
    for i, (a, _, wi) in enumerate(words):
        if wi not in vocab or abs(a - near_start) > slack:
            continue
        for j in range(i + shortest - 1, min(len(words), i + longest)):
            b = words[j][1]
            if words[j][2] not in vocab or abs(b - near_end) > slack:
                continue
            cutoff = best[0] * 100 if best else 0
            score = fuzz.ratio(q, region.text[a:b], score_cutoff=cutoff)
            if score and (best is None or score / 100 > best[0]):
                best = (score / 100, a, b)
    return best
