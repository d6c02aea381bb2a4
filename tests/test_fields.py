"""A passage's BM25 terms from its text and its title field (qa.retrieval.fields), by hand."""

from __future__ import annotations

import pytest

from qa.retrieval.fields import passage_terms, passage_title
from qa.types import Document


def doc(title: str, doc_id: str = "fact-sheet", path: str = "fact-sheet.txt") -> Document:
    return Document(doc_id=doc_id, text="x", title=title, path=path)


def test_passage_title_joins_document_title_and_section():
    assert passage_title(doc("Space Diplomacy"), "Partners") == "Space Diplomacy / Partners"


def test_passage_title_leaves_out_ids_file_names_and_repeats():
    assert passage_title(doc("fact-sheet"), "Partners") == "Partners"           # only the id
    assert passage_title(doc("fact-sheet.txt"), "") == ""                     # only the file name
    assert passage_title(doc("Space Diplomacy"), "Space Diplomacy") == "Space Diplomacy"
    assert passage_title(None, " Partners ") == "Partners"
    assert passage_title(doc("  "), "") == ""


def test_passage_terms_repeat_the_title_weight_times_before_the_text():
    # tokenize: "Space Diplomacy" -> space, diplomaci; "Artemis Accords signed" -> artemi, accord, sign
    assert passage_terms("Artemis Accords signed", "Space Diplomacy", 2) == [
        "space", "diplomaci", "space", "diplomaci", "artemi", "accord", "sign"]
    assert passage_terms("Artemis Accords signed", "Space Diplomacy", 1) == ["space", "diplomaci", "artemi", "accord", "sign"]


def test_passage_terms_without_weight_or_title_are_the_text_terms():
    assert passage_terms("Artemis Accords signed", "Space Diplomacy", 0) == ["artemi", "accord", "sign"]
    assert passage_terms("Artemis Accords signed", "", 3) == ["artemi", "accord", "sign"]


def test_negative_title_weight_is_refused():
    with pytest.raises(ValueError, match="title_weight"):
        passage_terms("text", "title", -1)
