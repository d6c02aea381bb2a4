"""Extractive answers: verbatim quotes at their offsets, short answers, citations, abstention."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.answers.citations import fragment_url, reference_line
from qa.answers.short import short_answer, wanted_type
from qa.types import Document, QueryError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("question, kind", [
    ("What value did one NGO estimate for the global space economy in 2021?", "amount"),
    ("How much did it cost?", "amount"),
    ("When did Singapore sign the Artemis Accords?", "date"),
    ("In what year did the MTCR come into being?", "date"),
    ("How many countries have made commitments?", "count"),
    ("Who is the president of the Satellite Industries Association?", "person"),
    ("Which country will provide the first international astronaut?", "place"),
    ("Why does the framework stress cooperation?", None),
])
def test_wanted_type(question, kind):
    assert wanted_type(question) == kind


def test_short_answer_marks_the_amount_not_the_year_in_the_question():
    q = "What value did one NGO estimate for the global space economy in 2021?"
    s = "One recent NGO estimate puts the value of the global space economy at $469 billion in 2021.1"
    a, b = short_answer(q, s, wanted_type(q))
    assert s[a:b] == "$469 billion"


def test_short_answer_date_and_none():
    s = "In March 2022, the Republic of Singapore signed the Artemis Accords."
    a, b = short_answer("When did Singapore sign?", s, "date")
    assert s[a:b] == "March 2022"
    assert short_answer("Why?", s, None) is None
    assert short_answer("How many nations?", "No digits here at all.", "count") is None


def test_fragment_url_encodes_start_and_end_words():
    url = fragment_url("https://example.org/page#top", "The U.S. commitment not to conduct destructive, direct-ascent tests & more")
    assert url.startswith("https://example.org/page#:~:text=The%20U.S.%20commitment%20not,")
    assert "%2D" in url and "%26" in url and "#top" not in url
    assert fragment_url("https://e.org/x", "two words") == "https://e.org/x#:~:text=two%20words"


def test_reference_line_uses_page_else_section():
    doc = Document(doc_id="d", text="x", title="A Strategic Framework for Space Diplomacy", path="p",
                   publisher="U.S. Department of State", date="2023-05-30")
    assert reference_line(doc, 24, "V. Goals") == \
        "U.S. Department of State, \u201cA Strategic Framework for Space Diplomacy\u201d, 2023-05-30, p. 24"
    assert reference_line(doc, None, "V. Goals").endswith("section \u201cV. Goals\u201d")


@pytest.mark.slow
def test_ngo_estimate_answer_is_the_framework_sentence_with_short_answer(real_index):
    from qa.answers.answer import answer_question

    retriever, finder = real_index
    ans = answer_question(retriever, finder, "What value did one NGO estimate for the global space economy in 2021?")
    assert not ans.abstained
    assert ans.answer.doc_id == "strategic-framework"
    assert "global space economy at $469 billion" in ans.answer.text
    assert ans.answer.short == "$469 billion"
    doc = retriever.data.documents["strategic-framework"]
    assert doc.text[ans.answer.short_start:ans.answer.short_end] == "$469 billion"
    assert ans.citations[0].doc_id == "strategic-framework" and ans.citations[0].page == 5
    assert ans.citations[0].reference.startswith("U.S. Department of State")


@pytest.mark.slow
@pytest.mark.parametrize("question", ["Who won the 2022 FIFA World Cup?", "What is the capital city of Australia?",
                                      "What is the boiling point of water at sea level?"])
def test_questions_far_off_the_corpus_are_refused(real_index, question):
    from qa.answers.answer import answer_question

    retriever, finder = real_index
    ans = answer_question(retriever, finder, question)
    assert ans.abstained and ans.answer is None and ans.citations == ()
    assert ans.passages  # the closest passages are still shown


@pytest.mark.slow
def test_primary_source_cited_first_when_the_article_quotes_it(real_index):
    from qa.answers.answer import answer_question

    retriever, finder = real_index
    ans = answer_question(retriever, finder, "What inherent tension exists between protecting national security "
                                             "and promoting the U.S. space industry?")
    assert not ans.abstained
    docs = [c.doc_id for c in ans.citations]
    assert docs[0] == "strategic-framework" and "breaking-defense-framework" in docs
    assert [c.n for c in ans.citations] == list(range(1, len(docs) + 1))


@pytest.mark.slow
def test_every_answer_and_citation_is_verbatim_at_its_offsets(real_index):
    """Property over every gold question plus bad and odd ones.

    Quotes are checked against the documents loaded afresh from corpus/ (not the index's copy
    the answer was sliced from), and the answer must be its own first citation.
    """
    from qa.answers.answer import answer_question
    from qa.ingestion.loaders import load_corpus

    retriever, finder = real_index
    docs = {d.doc_id: d for d in load_corpus(ROOT / "corpus")[0]}
    assert docs.keys() == retriever.data.documents.keys()
    questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()]
    questions += ["the of and", "MTCR", "SPD-5", "¿Qué son los Acuerdos Artemis?", "🚀 space", "$469"]
    answered = 0
    for q in questions:
        ans = answer_question(retriever, finder, q)
        if ans.answer:
            answered += 1
            a = ans.answer
            assert docs[a.doc_id].text[a.start:a.end] == a.text
            if a.short:
                assert docs[a.doc_id].text[a.short_start:a.short_end] == a.short
                assert a.start <= a.short_start < a.short_end <= a.end
            first = ans.citations[0]
            assert (first.n, first.doc_id, first.start, first.end, first.quote) == (1, a.doc_id, a.start, a.end, a.text)
        else:
            assert ans.abstained and ans.citations == ()
        for c in ans.citations:
            assert docs[c.doc_id].text[c.start:c.end] == c.quote
        for h in ans.passages:
            assert docs[h.chunk.doc_id].text[h.chunk.start:h.chunk.end] == h.chunk.text
    assert answered > len(questions) // 2


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["", "   \n\t ", "x" * 10_000])
def test_bad_questions_raise_query_error(real_index, bad):
    from qa.answers.answer import answer_question

    retriever, finder = real_index
    with pytest.raises(QueryError):
        answer_question(retriever, finder, bad)


def test_reordering_passages_by_the_sentence_scorer_answers_verbatim(real_index):
    """The calibration's ``rerank`` (qa fit-answers --rerank): the passages read come in the new
    order, the quote and short answer stay verbatim at their offsets, and the stage is timed."""
    from dataclasses import replace

    from qa.answers.answer import AnswerSettings, answer_question
    from qa.answers.calibration import load_calibration
    from qa.answers.rerank import Rerank

    retriever, finder = real_index
    cal = replace(load_calibration(), rerank=Rerank(depth=20, sentences=20, weight=0.5))
    question = "What value did one NGO estimate for the global space economy in 2021?"
    plain = answer_question(retriever, finder, question, settings=AnswerSettings(calibration=replace(cal, rerank=Rerank())))
    ans = answer_question(retriever, finder, question, settings=AnswerSettings(calibration=cal))
    assert "rerank" in ans.timings_ms and "rerank" not in plain.timings_ms
    assert not ans.abstained and "$469 billion" in ans.answer.text
    doc = retriever.data.documents[ans.answer.doc_id]
    assert doc.text[ans.answer.start:ans.answer.end] == ans.answer.text
    assert doc.text[ans.answer.short_start:ans.answer.short_end] == ans.answer.short
