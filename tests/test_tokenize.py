"""The lexical tokenizer: identifiers kept whole, plain words stemmed, stop words dropped."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa.retrieval.tokenize import STOP_WORDS, tokenize


def test_hyphenated_identifier_kept_whole_with_its_parts():
    assert tokenize("SPD-5") == ["spd-5", "spd", "5"]


def test_hyphenated_words_add_stemmed_parts():
    assert tokenize("space-based") == ["space-based", "space", "base"]


def test_acronyms_are_kept_lower_cased():
    assert tokenize("MTCR") == ["mtcr"]
    assert tokenize("ASAT") == ["asat"]
    assert "mtcr" in tokenize("the MTCR regime")


def test_dollar_amount_adds_the_bare_number():
    assert tokenize("$469 billion") == ["$469", "469", "billion"]


def test_dollar_query_meets_bare_number_in_text():
    assert set(tokenize("469 billion")) <= set(tokenize("$469 billion"))


def test_numbers_are_kept():
    assert tokenize("E.O. 13873") == ["e.o", "13873"]
    assert tokenize("3.5%") == ["3.5%"]


def test_dotted_abbreviation_loses_its_final_dot():
    assert tokenize("U.S.") == ["u.s"]
    assert tokenize("the U.S. said") == ["u.s", "said"]
    assert tokenize("U.S. policy") == tokenize("u.s. policy") == ["u.s", "polici"]


@pytest.mark.parametrize(
    "word, stem",
    [("running", "run"), ("satellites", "satellit"), ("partners", "partner"),
     ("diplomacy", "diplomaci"), ("weapons", "weapon"), ("based", "base")],
)
def test_plain_words_are_stemmed(word, stem):
    assert tokenize(word) == [stem]


def test_inflections_meet_at_the_stem():
    assert tokenize("partners") == tokenize("partner")
    assert tokenize("launches") == tokenize("launch") == tokenize("launched")


def test_stop_words_are_dropped():
    assert tokenize("the cooperation of the partners") == ["cooper", "partner"]


def test_query_of_only_stop_words_still_yields_terms():
    assert tokenize("the of and") == ["the", "of", "and"]
    assert tokenize("What is it?") == ["what", "is", "it"]


def test_terms_come_in_text_order_with_repeats():
    assert tokenize("space space policy") == ["space", "space", "polici"]


def test_no_letters_or_digits_yields_nothing():
    assert tokenize("") == []
    assert tokenize("  -- ?! ... ") == []


def test_curly_apostrophes_fold_to_straight():
    assert tokenize("nation’s") == tokenize("nation's")


def test_stop_word_list_is_lower_case():
    assert all(w == w.lower() for w in STOP_WORDS)


def _has_letter_or_digit(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


texts_with_letters = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Z", "M"]), max_size=40),
).filter(_has_letter_or_digit)


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_never_raises_and_returns_strings(text):
    terms = tokenize(text)
    assert isinstance(terms, list)
    assert all(isinstance(t, str) and t for t in terms)


@given(texts_with_letters)
@example("x")
@example("7")
@example("é")
@example("٣")  # Arabic-Indic digit three
@example("中文")
@example("the")
@example("\u037a")  # a letter that NFKC folds into a space and a combining mark
@settings(max_examples=300, deadline=None)
def test_text_with_a_letter_or_digit_always_yields_terms(text):
    assert tokenize(text) != []


def test_letter_that_nfkc_turns_into_a_combining_mark_still_yields_a_term():
    assert tokenize("\u037a") != []


def test_cached_terms_of_a_raw_token_are_those_of_a_fresh_tokenizer():
    """tokenize keeps each raw token's terms: a second call (from the cache) equals the first, and
    both equal what the terms of the token alone are."""
    from qa.retrieval import tokenize as module

    text = "The U.S. spent $469 billion on space-based ASAT's and SPD-5, the and of."
    first = tokenize(text)
    hits = module._terms_of.cache_info().hits
    assert module._terms_of("the") is None
    assert tokenize(text) == first
    assert module._terms_of.cache_info().hits > hits
    module._terms_of.cache_clear()
    assert tokenize(text) == first == ["u.s", "spent", "$469", "469", "billion", "space-based", "space", "base",
                                       "asat's", "asat", "spd-5", "spd", "5"]
