"""Pure parts of the Milvus back end: term encoding, filter expressions, packed vectors, targets,
back-end choice, term statistics and the answer step's idf weights (values worked by hand)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from qa.retrieval.backend import BackendChoice, choose_backend
from qa.retrieval.milvus_schema import (
    MAX_VARCHAR,
    MilvusTarget,
    check_varchar,
    encode_term,
    filter_expression,
    in_list,
    literal,
    pack_vectors,
    terms_text,
    unpack_vectors,
)
from qa.retrieval.terms import TermStats, answer_idf, term_weights
from qa.retrieval.tokenize import tokenize
from qa.types import QAError


def test_terms_become_single_words_that_any_tokenizer_keeps():
    assert encode_term("spd-5") == "spd_2d_5"
    assert encode_term("$469") == "_24_469"
    assert encode_term("u.s") == "u_2e_s"
    assert encode_term("polici") == "polici"
    assert terms_text(tokenize("SPD-5 and the $469 billion U.S. policies")) == \
        "spd_2d_5 spd 5 _24_469 469 billion u_2e_s polici"
    for term in ("spd-5", "it's", "café", "13873", "e.o"):
        assert re.fullmatch(r"\w+", encode_term(term))


def test_term_encoding_is_injective_on_tokenizer_output():
    terms = set(tokenize("SPD-5 spd_5 spd 5 $469 469 U.S. us e.o. eo it's its co-operation cooperation"))
    assert len({encode_term(t) for t in terms}) == len(terms)


def test_filter_expressions_quote_every_value():
    assert literal('a"b') == '"a\\"b"'
    assert literal("c\\d") == '"c\\\\d"'
    assert in_list("doc_id", ["x", 'y"']) == 'doc_id in ["x", "y\\""]'
    assert filter_expression() == ""
    assert filter_expression(("a",), ("fact sheet",)) == 'doc_id in ["a"] and kind in ["fact sheet"]'


def test_sentence_vectors_round_trip_as_float16():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3, 8)).astype(np.float32)
    back = unpack_vectors(pack_vectors(vectors), 8)
    assert back.shape == (3, 8) and back.dtype == np.float32
    assert np.allclose(back, vectors, atol=2e-3)
    assert unpack_vectors(pack_vectors(np.zeros((0, 8))), 8).shape == (0, 8)
    with pytest.raises(ValueError, match="multiple of 8"):
        unpack_vectors(pack_vectors(np.zeros((1, 7))), 8)


def test_trailing_passage_vectors_are_left_out_and_restored():
    rng = np.random.default_rng(1)
    passage = rng.normal(size=8).astype(np.float32)
    vectors = np.vstack([rng.normal(size=(2, 8)), np.tile(passage, (40, 1))]).astype(np.float32)
    packed = pack_vectors(vectors, passage)
    assert packed["tail"] == 40 and len(packed["f16"]) == len(pack_vectors(vectors[:2])["f16"])
    back = unpack_vectors(packed, 8, passage)
    assert back.shape == (42, 8) and np.allclose(back, vectors, atol=2e-3)
    assert np.array_equal(back[2:], np.tile(passage, (40, 1)))
    with pytest.raises(ValueError, match="no passage vector"):
        unpack_vectors(packed, 8)


def test_varchar_limit_names_the_passage():
    assert check_varchar("short", "text", "doc:1") == "short"
    with pytest.raises(QAError, match="passage doc:1: its text takes 65536 bytes"):
        check_varchar("x" * (MAX_VARCHAR + 1), "text", "doc:1")


def test_targets_are_lite_files_or_server_uris():
    assert MilvusTarget("index/milvus.db").is_lite
    assert not MilvusTarget("http://localhost:19530").is_lite
    with pytest.raises(ValueError, match="must end in .db"):
        MilvusTarget("localhost:19530")
    with pytest.raises(ValueError, match="collection names"):
        MilvusTarget("x.db", collection="bad-name")
    with pytest.raises(ValueError, match="analyzer"):
        MilvusTarget("x.db", analyzer="lucene")
    assert "token" not in MilvusTarget("http://h:19530", token="secret").describe()


def test_backend_from_arguments_then_environment(monkeypatch, tmp_path):
    for key in ("QA_BACKEND", "QA_MILVUS_URI", "QA_MILVUS_COLLECTION", "QA_MILVUS_ANALYZER"):
        monkeypatch.delenv(key, raising=False)
    assert choose_backend(tmp_path) == BackendChoice()
    chosen = choose_backend(tmp_path, "milvus")
    assert chosen.milvus == MilvusTarget(str(tmp_path / "milvus.db"))
    monkeypatch.setenv("QA_BACKEND", "milvus")
    monkeypatch.setenv("QA_MILVUS_URI", "http://milvus:19530")
    assert choose_backend(tmp_path).milvus.uri == "http://milvus:19530"
    assert choose_backend(tmp_path, uri="other.db", collection="c2").milvus == MilvusTarget("other.db", "c2")
    assert choose_backend(tmp_path, "embedded").name == "embedded"
    with pytest.raises(ValueError, match="backend must be one of"):
        choose_backend(tmp_path, "opensearch")


def test_term_stats_count_added_and_removed_passages():
    stats = TermStats().updated(added=[["a", "b", "a"], ["b", "c"]])
    assert stats == TermStats(n=2, df={"a": 1, "b": 2, "c": 1})
    fewer = stats.updated(removed=[["b", "c"]])
    assert fewer == TermStats(n=1, df={"a": 1, "b": 1})
    assert stats.df["c"] == 1  # the input is unchanged
    assert fewer.min_df == 1 and TermStats().min_df is None
    with pytest.raises(ValueError, match="'z'"):
        stats.updated(removed=[["z"]])


def test_term_weights_by_hand():
    df = {"rare": 1, "common": 3}
    weights = term_weights(["rare", "common", "unseen", "rare"], lambda t: df.get(t, 0), 4, 1)
    assert weights["rare"] == pytest.approx(math.log1p(3.5 / 1.5))
    assert weights["common"] == pytest.approx(math.log1p(1.5 / 3.5))
    assert weights["unseen"] == weights["rare"]  # as the rarest known term
    assert answer_idf(1, 4) == weights["rare"]
    assert term_weights(["x"], lambda t: 0, 0, None) == {"x": 1.0}
