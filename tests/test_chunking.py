"""Sentence splitting and sentence-aware chunking, with a word count standing in for the model's tokens."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingestion.chunking import ChunkSettings, chunk_document, split_sentences
from qa.types import Document, Span


def words(texts):
    return [len(t.split()) for t in texts]


def sentences_of(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, start, end)]


# -- split_sentences ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("The U.S. private sector grew. It did.", ["The U.S. private sector grew.", "It did."]),
        ("The U.S. Government leads. Others follow.", ["The U.S. Government leads.", "Others follow."]),
        ("Under E.O. 13873 the rule applies. Next one.", ["Under E.O. 13873 the rule applies.", "Next one."]),
        ("It was signed on Dec. 5 in Paris. Then more.", ["It was signed on Dec. 5 in Paris.", "Then more."]),
        ("See No. 5 of the list. Then stop.", ["See No. 5 of the list.", "Then stop."]),
        ("President John F. Kennedy spoke. Then he left.", ["President John F. Kennedy spoke.", "Then he left."]),
        ("Washington, D.C. Hosts it. Done.", ["Washington, D.C. Hosts it.", "Done."]),
        ("Why now? Because! Yes.", ["Why now?", "Because!", "Yes."]),
        ('He said "go." Then he left.', ['He said "go."', "Then he left."]),
        ("It ended (finally.) Next.", ["It ended (finally.)", "Next."]),
        ("Wait... What happened?! Nothing.", ["Wait...", "What happened?!", "Nothing."]),
        ("A lower case start. of this goes on.", ["A lower case start. of this goes on."]),
        ("Version 3.5 shipped. Good.", ["Version 3.5 shipped.", "Good."]),
    ],
)
def test_split_sentences(text, expected):
    assert sentences_of(text) == expected


def test_footnote_number_glued_after_full_stop_stays_with_its_sentence():
    text = "The space economy reached $469 billion in 2021.1 The U.S. private sector leads it."
    assert sentences_of(text) == [
        "The space economy reached $469 billion in 2021.1",
        "The U.S. private sector leads it.",
    ]


def test_footnote_number_after_an_abbreviation_still_ends_the_sentence():
    assert sentences_of("Most of it is in the U.S.12 The rest is abroad.") == [
        "Most of it is in the U.S.12", "The rest is abroad."]


def test_line_breaks_end_sentences():
    assert sentences_of("A heading\nFirst line without stop\n\nNext paragraph. Two.") == [
        "A heading", "First line without stop", "Next paragraph.", "Two."]


def test_whitespace_is_stripped_and_blank_lines_give_nothing():
    text = "  Padded sentence.   \n   \n\t Another one.  "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Padded sentence.", "Another one."]
    assert split_sentences("   \n\n  ") == []
    assert split_sentences("") == []


def test_split_sentences_of_a_slice_gives_absolute_offsets():
    text = "Before. Inside one. Inside two. After."
    lo, hi = text.index("Inside"), text.index(" After")
    spans = split_sentences(text, lo, hi)
    assert [text[a:b] for a, b in spans] == ["Inside one.", "Inside two."]
    assert all(lo <= a < b <= hi for a, b in spans)


# -- chunk_document -------------------------------------------------------------------------------

def document(text: str, sections=(), pages=(), doc_id: str = "doc") -> Document:
    return Document(doc_id=doc_id, text=text, title="T", path=f"{doc_id}.txt",
                    sections=tuple(sections), pages=tuple(pages))


def numbered_sentences(n: int, words_each: int = 5, prefix: str = "S") -> str:
    return " ".join(f"{prefix}{i} " + " ".join(["word"] * (words_each - 2)) + " end." for i in range(n))


def assert_chunk_invariants(doc: Document, chunks, max_tokens: int | None = None) -> None:
    for c in chunks:
        assert c.doc_id == doc.doc_id
        assert 0 <= c.start < c.end <= len(doc.text)
        assert c.text == doc.text[c.start:c.end]
        assert c.sentences, c
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
        for a, b in c.sentences:
            assert c.start <= a < b <= c.end
        if max_tokens is not None:
            assert words([c.text])[0] <= max_tokens


def test_chunks_are_slices_within_the_token_limit():
    doc = document(numbered_sentences(30))
    settings = ChunkSettings(max_tokens=16, overlap_sentences=0)
    chunks = chunk_document(doc, words, settings)
    assert len(chunks) > 3
    assert_chunk_invariants(doc, chunks, 16)
    # 5 words a sentence, 16 at most: 3 sentences a chunk, no overlap.
    assert all(len(c.sentences) == 3 for c in chunks)
    assert chunks[1].start > chunks[0].end


def test_without_overlap_chunks_cover_every_sentence_once():
    doc = document(numbered_sentences(20))
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=16, overlap_sentences=0))
    covered = [s for c in chunks for s in c.sentences]
    assert covered == split_sentences(doc.text)


def test_sentence_overlap():
    doc = document(numbered_sentences(20))
    for overlap in (1, 2):
        chunks = chunk_document(doc, words, ChunkSettings(max_tokens=20, overlap_sentences=overlap))
        assert_chunk_invariants(doc, chunks, 20)
        for prev, nxt in zip(chunks, chunks[1:]):
            assert nxt.sentences[:overlap] == prev.sentences[-overlap:]
        covered = {s for c in chunks for s in c.sentences}
        assert covered == set(split_sentences(doc.text))


def test_chunks_never_cross_a_section():
    first = numbered_sentences(7, prefix="A")
    second = numbered_sentences(7, prefix="B")
    text = first + "\n\n" + second
    cut = len(first) + 2
    doc = document(text, sections=[Span(0, cut, "Alpha"), Span(cut, len(text), "Beta")])
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=16, overlap_sentences=1, min_tokens=0))
    assert_chunk_invariants(doc, chunks, 16)
    for c in chunks:
        assert c.end <= cut or c.start >= cut
        assert c.section == ("Alpha" if c.end <= cut else "Beta")
    assert {c.section for c in chunks} == {"Alpha", "Beta"}


def test_lone_heading_opens_the_passage_of_its_first_subsection():
    heading = "Part One"
    body = numbered_sentences(4)
    text = heading + "\n\n" + body
    cut = len(heading) + 2
    doc = document(text, sections=[Span(0, cut, "Part One"), Span(cut, len(text), "Part One > Scope")])
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=40))
    assert chunks[0].start == 0 and chunks[0].text.startswith("Part One\n\nS0")
    assert chunks[0].section == "Part One > Scope"


def test_short_section_is_not_glued_to_a_section_that_only_shares_a_prefix():
    short = "Part 1 is short."
    body = numbered_sentences(4)
    text = short + "\n\n" + body
    cut = len(short) + 2
    doc = document(text, sections=[Span(0, cut, "Part 1"), Span(cut, len(text), "Part 10")])
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=40))
    assert all(c.end <= cut or c.start >= cut for c in chunks)


def test_over_long_sentence_is_cut_at_word_boundaries():
    long_sentence = " ".join(f"w{i}" for i in range(50)) + "."
    doc = document("Short one. " + long_sentence + " Last.")
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=16, overlap_sentences=0))
    assert_chunk_invariants(doc, chunks, 16)
    word_spans = {(m.start(), m.end()) for m in re.finditer(r"\S+", doc.text)}
    starts = {a for a, _ in word_spans}
    ends = {b for _, b in word_spans}
    for c in chunks:
        for a, b in c.sentences:
            assert a in starts and b in ends
    joined = " ".join(doc.text[a:b] for c in chunks for a, b in c.sentences)
    assert joined.split() == doc.text.split()


def test_chunk_ids_are_stable_and_depend_on_text():
    doc = document(numbered_sentences(12))
    settings = ChunkSettings(max_tokens=16)
    first = [c.chunk_id for c in chunk_document(doc, words, settings)]
    second = [c.chunk_id for c in chunk_document(doc, words, settings)]
    assert first == second
    assert len(set(first)) == len(first)
    assert all(cid.startswith("doc:") for cid in first)
    changed = document(doc.text.replace("S11", "X11"))
    third = [c.chunk_id for c in chunk_document(changed, words, settings)]
    assert third[:-1] == first[:-1] and third[-1] != first[-1]
    other_doc = document(doc.text, doc_id="other")
    assert not set(first) & {c.chunk_id for c in chunk_document(other_doc, words, settings)}


def test_repeated_passages_get_distinct_ids():
    text = "Same words here.\n\nSame words here."
    doc = document(text, sections=[Span(0, 18, "A"), Span(18, len(text), "A")])
    ids = [c.chunk_id for c in chunk_document(doc, words, ChunkSettings(min_tokens=0))]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert ids[1] == ids[0] + "-2"


def test_pages_come_from_the_document():
    text = numbered_sentences(12)
    third = len(text) // 3
    pages = [Span(0, third, "1"), Span(third, 2 * third, "2"), Span(2 * third, len(text), "3")]
    doc = document(text, pages=pages)
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=16, overlap_sentences=0))
    for c in chunks:
        assert c.pages == doc.pages_between(c.start, c.end)
        assert c.pages
    assert chunks[0].pages[0] == 1 and chunks[-1].pages[-1] == 3


def test_document_without_pages_or_sections():
    doc = document("One sentence only.")
    (chunk,) = chunk_document(doc, words)
    assert chunk.pages == () and chunk.section == "" and chunk.text == doc.text


def test_empty_document_has_no_chunks():
    assert chunk_document(document(""), words) == []
    assert chunk_document(document(" \n\n "), words) == []


@pytest.mark.parametrize("kwargs", [{"max_tokens": 15}, {"max_tokens": 9000}, {"overlap_sentences": -1},
                                    {"overlap_sentences": 6}])
def test_chunk_settings_validation(kwargs):
    with pytest.raises(ValueError):
        ChunkSettings(**kwargs)


# -- property: random documents -------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$-'’é", min_size=1, max_size=9)
PUNCT = st.sampled_from(["", "", "", ".", ",", "?", "!", ".1", '."', ".)", "...", ";", " U.S.", " No.", " Dec."])
SENTENCE = st.lists(st.tuples(WORD, PUNCT).map("".join), min_size=1, max_size=14).map(" ".join)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=5).map(lambda s: " ".join(s))
SEPARATOR = st.sampled_from(["\n\n", "\n", " \n \n", "\n\n\n"])


@st.composite
def documents(draw):
    paragraphs = draw(st.lists(PARAGRAPH, min_size=1, max_size=6))
    text = paragraphs[0]
    for p in paragraphs[1:]:
        text += draw(SEPARATOR) + p
    cuts = sorted(set(draw(st.lists(st.integers(1, max(len(text) - 1, 1)), max_size=5))))
    bounds = [0, *[c for c in cuts if 0 < c < len(text)], len(text)]
    labels = draw(st.lists(st.sampled_from(["", "A", "A > B", "C", "C > D > E"]),
                           min_size=len(bounds) - 1, max_size=len(bounds) - 1))
    sections = [Span(a, b, label) for a, b, label in zip(bounds, bounds[1:], labels)]
    return document(text, sections=sections)


@given(documents(), st.integers(16, 40), st.integers(0, 3))
@settings(max_examples=150, deadline=None)
def test_chunks_are_exact_slices_of_random_documents(doc, max_tokens, overlap):
    chunks = chunk_document(doc, words, ChunkSettings(max_tokens=max_tokens, overlap_sentences=overlap))
    for c in chunks:
        assert c.text == doc.text[c.start:c.end]
        assert 0 <= c.start < c.end <= len(doc.text)
        for a, b in c.sentences:
            assert c.start <= a < b <= c.end <= len(doc.text)
            assert doc.text[a:b].strip() == doc.text[a:b]
        # A word is one token here, so the limit holds unless a single word exceeds it.
        assert words([c.text])[0] <= max_tokens
    # Every non-blank part of the text is in some chunk.
    covered = [False] * len(doc.text)
    for c in chunks:
        for i in range(c.start, c.end):
            covered[i] = True
    assert all(covered[i] or doc.text[i].isspace() for i in range(len(doc.text)))
