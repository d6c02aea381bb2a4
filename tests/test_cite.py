"""Quote lookup: exact matches insensitive to case, spacing, quotes and dashes; near matches."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.answers.folding import clean_quote, fold
from qa.types import QueryError

FRAMEWORK_SENTENCE = ("Technology transfer concerns and corresponding regulation mean an inherent necessary "
                      "tension exists between our dual missions of protecting national security and promoting "
                      "the U.S. space industry and the benefits of space for all.")


def test_fold_keeps_offsets():
    text = "The “Artemis”\n\n  Accords — signed"
    f = fold(text)
    assert f.text == 'the "artemis" accords - signed'
    start = f.text.index("artemis")
    assert f.span(start, start + len("artemis")) == (5, 12)
    assert text[slice(*f.span(0, len(f.text)))] == text.strip()


@given(st.text(min_size=0, max_size=200))
def test_fold_origin_points_into_the_text(text):
    f = fold(text)
    assert len(f.origin) == len(f.text)
    assert all(0 <= o < len(text) for o in f.origin)
    assert list(f.origin) == sorted(f.origin)


@pytest.mark.parametrize("bad", ["", "   ", "“”", "x" * 6000, "!!! ..."])
def test_bad_quotes_are_refused(bad):
    with pytest.raises(QueryError):
        clean_quote(bad)


@pytest.mark.slow
def test_quoted_sentence_is_found_in_the_framework_and_the_article(real_index):
    _, finder = real_index
    matches = finder.find(FRAMEWORK_SENTENCE)
    docs = [m.doc_id for m in matches]
    assert "strategic-framework" in docs and "breaking-defense-framework" in docs
    assert docs[0] == "strategic-framework"  # the primary source first
    framework = matches[0]
    assert framework.exact and framework.similarity == 1.0 and framework.page is not None
    article = next(m for m in matches if m.doc_id == "breaking-defense-framework")
    # The article closes the quote with a comma ("for all,”"): a near match, all but exact.
    assert not article.exact and article.similarity >= 0.85


def test_answer_citations_find_the_article_quoting_the_framework(real_index):
    """The answer's own lookup (retrieved passages only, behind the word check) still finds the
    article that quotes the framework with a changed ending."""
    retriever, finder = real_index
    hits = retriever.search(FRAMEWORK_SENTENCE)
    docs = {m.doc_id for m in finder.find_in_chunks(FRAMEWORK_SENTENCE, [h.chunk for h in hits], 0.9)}
    assert {"strategic-framework", "breaking-defense-framework"} <= docs


@pytest.mark.parametrize("text, expected", [
    ("the united states will lead space diplomacy with allies", True),          # every word
    ("the united states will lead space policy with allies", True),            # 7 of its 8 long words
    ("nothing of that here, only states and allies", False),
])
def test_word_check_before_alignment(text, expected):
    from qa.answers.quotes import _shares_words, long_words

    # long plain words of the needle: united, states, will, lead, space, diplomacy, with, allies (8)
    assert _shares_words(long_words("the united states will lead space diplomacy with allies"), text) is expected


@pytest.mark.slow
def test_exact_match_ignores_case_spacing_quotes_and_dashes(real_index):
    _, finder = real_index
    variant = "TECHNOLOGY transfer   concerns and\ncorresponding regulation mean an inherent necessary tension"
    assert {m.doc_id for m in finder.find(variant)} == {"strategic-framework", "breaking-defense-framework"}


@pytest.mark.slow
def test_misquote_finds_the_framework_marked_not_exact(real_index):
    retriever, finder = real_index
    misquote = ("Technology transfer worries and corresponding regulations mean an inherent tension exists "
                "between our two missions of protecting national security and promoting U.S. space industry")
    matches = finder.find(misquote)
    assert matches and not any(m.exact for m in matches)
    assert "strategic-framework" in [m.doc_id for m in matches]
    best = matches[0]
    assert 0.75 <= best.similarity < 1.0
    doc = retriever.data.documents[best.doc_id]
    assert doc.text[best.start:best.end] == best.text
    assert "inherent necessary tension" in best.text


@pytest.mark.slow
def test_unknown_quote_finds_nothing(real_index):
    _, finder = real_index
    assert finder.find("The quick brown fox jumps over the lazy dog near the lunar south pole") == []


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_random_substring_is_found_at_its_own_offsets(real_index, data):
    retriever, finder = real_index
    docs = retriever.data.documents
    doc_id = data.draw(st.sampled_from(sorted(docs)))
    text = docs[doc_id].text
    start = data.draw(st.integers(0, len(text) - 40))
    length = data.draw(st.integers(20, 200))
    quote = text[start:start + length]
    if not any(ch.isalnum() for ch in quote):
        return
    matches = finder.find(quote, limit=10_000)   # a common phrase occurs more often than the default 20
    stripped = quote.strip("\"'“”‘’«» \n")
    lo = start + quote.index(stripped[:1]) if stripped else start
    assert any(m.doc_id == doc_id and m.exact and m.start <= lo < m.end for m in matches), (doc_id, start, quote)
    for m in matches:
        assert docs[m.doc_id].text[m.start:m.end] == m.text
        assert docs[m.doc_id].text[max(0, m.start - len(m.context_before)):m.start] == m.context_before


@given(st.text(alphabet="abcde ", min_size=1, max_size=40), st.text(alphabet="abcde ", min_size=1, max_size=120),
       st.sampled_from([0.75, 0.85, 0.9]))
def test_prefilter_never_drops_a_window_that_reaches_the_threshold(needle, text, t):
    from rapidfuzz import fuzz

    from qa.answers.quotes import _may_reach

    rough = fuzz.partial_ratio_alignment(needle, text)
    if rough is not None and rough.score >= t * 100:
        assert _may_reach(needle, text, t)
