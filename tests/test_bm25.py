"""The BM25 weight matrix scores exactly as rank_bm25.BM25Okapi does (bm25s checks the same way)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from qa.retrieval.bm25 import BM25Params, build_bm25
from qa.retrieval.tokenize import tokenize

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def expected_top(scores: np.ndarray, k: int) -> list[int]:
    """Top-k columns of rank-bm25's scores with a positive score: score desc, column asc."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return [i for i in order if scores[i] > 0][:k]


def random_corpus(seed: int, n_docs: int = 60) -> tuple[list[list[str]], list[list[str]]]:
    """(documents, queries): Zipf-ish words, a few empty documents, words in most documents,
    queries with repeated and out-of-vocabulary terms."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(40)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    docs: list[list[str]] = []
    for d in range(n_docs):
        if d % 13 == 5:
            docs.append([])  # an empty passage
            continue
        words = list(rng.choice(vocab, size=int(rng.integers(1, 30)), p=weights))
        if rng.random() < 0.8:
            words.append("common")  # in far more than half the documents: idf < 0, floored
        if rng.random() < 0.6:
            words += ["usual"] * int(rng.integers(1, 4))
        docs.append(words)
    queries = [
        ["w0"], ["w1", "w1"], ["common"], ["usual", "common", "w3"], ["oov"], ["oov", "w7", "w7", "w7"],
        ["w39", "w38", "w20"], list(rng.choice(vocab, size=6)), [], ["common", "common", "usual"],
    ]
    return docs, queries


def rank_bm25_scores(model: BM25Okapi, query: list[str]) -> np.ndarray:
    """``model.get_scores(query)``, except that a term's 0 / 0 counts 0.

    rank-bm25 computes 0 / 0 = NaN for a passage without the term when k1 = 0, or when b = 1
    and the passage is empty, and the NaN swallows the other terms' scores; the term adds
    nothing there, so it is summed term by term with NaN taken as 0.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = model.get_scores(query)
        if not np.isnan(scores).any():
            return scores
        return np.sum([np.nan_to_num(model.get_scores([t]), nan=0.0) for t in query], axis=0)


def assert_parity(docs, queries, params: BM25Params) -> None:
    ours = build_bm25(docs, params)
    theirs = BM25Okapi(docs, k1=params.k1, b=params.b, epsilon=params.epsilon)
    for q in queries:
        expected = rank_bm25_scores(theirs, q)
        got = ours.scores(q)
        assert got.dtype == np.float64 and got.shape == (len(docs),)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9, err_msg=f"query {q}")
        assert_same_top(ours.top(q, 10), expected, 10)


def assert_same_top(top: list[tuple[int, float]], expected: np.ndarray, k: int) -> None:
    """``top`` is rank-bm25's top-k (score desc, column asc), except that passages whose scores
    are equal up to float rounding (1e-9) may come in either order."""
    want = expected_top(expected, k)
    assert len(top) == len(want)
    for (i, s), j in zip(top, want):
        assert s == pytest.approx(expected[i], abs=1e-9)
        assert i == j or abs(expected[i] - expected[j]) <= 1e-9, (i, j)
    assert len({i for i, _ in top}) == len(top)
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_scores_and_top_equal_rank_bm25_on_a_random_corpus(seed):
    docs, queries = random_corpus(seed)
    assert_parity(docs, queries, BM25Params())


def test_the_random_corpus_exercises_the_epsilon_floor():
    docs, _ = random_corpus(0)
    theirs = BM25Okapi(docs)
    n = len(docs)
    df = sum("common" in d for d in docs)
    assert df > n / 2
    assert math.log(n - df + 0.5) - math.log(df + 0.5) < 0
    assert theirs.idf["common"] == pytest.approx(0.25 * theirs.average_idf)


@pytest.mark.parametrize(
    "params",
    [BM25Params(k1=0.9, b=0.4, epsilon=0.5), BM25Params(k1=2.0, b=1.0, epsilon=0.1),
     BM25Params(k1=1.2, b=0.0, epsilon=0.0), BM25Params(k1=0.0, b=0.75, epsilon=0.25)],
    ids=["k1=0.9,b=0.4", "b=1", "b=0,eps=0", "k1=0"],
)
def test_parity_with_custom_parameters(params):
    docs, queries = random_corpus(7)
    assert_parity(docs, queries, params)


def corpus_paragraphs() -> list[list[str]]:
    paragraphs = []
    for path in sorted(CORPUS.iterdir()):
        if path.suffix in (".txt", ".md"):
            text = path.read_text(encoding="utf-8")
            paragraphs += [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [tokenize(p) for p in paragraphs]


def test_parity_on_the_real_corpus():
    docs = corpus_paragraphs()
    assert len(docs) > 100
    queries = [tokenize(q) for q in (
        "What is the Strategic Framework for Space Diplomacy?",
        "How large was the space economy in 2021?",
        "destructive direct-ascent ASAT missile testing",
        "MTCR export controls",
        "Artemis Accords signatories",
        "SPD-5 cybersecurity principles for space systems",
        "the of and",
        "zzzz unknownterm",
    )]
    assert_parity(docs, queries, BM25Params())
    assert_parity(docs, queries, BM25Params(k1=1.2, b=0.5, epsilon=0.3))


def test_top_with_an_allowed_mask_only_returns_allowed_columns():
    docs, _ = random_corpus(3)
    index = build_bm25(docs)
    scores = index.scores(["w0", "w1"])
    best = index.top(["w0", "w1"], 5)
    allowed = np.ones(len(docs), dtype=bool)
    allowed[best[0][0]] = False
    allowed[::2] = False
    got = index.top(["w0", "w1"], 5, allowed)
    masked = np.where(allowed, scores, 0.0)
    assert [i for i, _ in got] == expected_top(masked, 5)
    assert all(allowed[i] for i, _ in got)
    assert index.top(["w0", "w1"], 5, np.zeros(len(docs), dtype=bool)) == []


def test_top_returns_only_positive_scores():
    # "shared" and "also" are in every passage, "rare" in one: mean idf < 0, so the floor is negative.
    docs = [["shared", "also"], ["shared", "also"], ["shared", "also"], ["shared", "also", "rare"], ["shared", "also"]]
    index = build_bm25(docs)
    scores = index.scores(["shared", "rare"])
    assert (scores < 0).any() and (scores > 0).any()
    top = index.top(["shared", "rare"], 10)
    assert [i for i, _ in top] == [3]
    assert all(s > 0 for _, s in top)
    assert index.top(["shared"], 10) == []


def test_top_zero_scores_are_left_out():
    index = build_bm25([["a"], ["b"], ["c"]])
    assert index.top(["a"], 10) == [(0, pytest.approx(index.scores(["a"])[0]))]
    assert index.top(["nothing"], 10) == []
    assert index.top([], 10) == []


def test_top_breaks_ties_by_column_and_keeps_k():
    docs = [["other"]] * 3 + [["space", "law"]] * 5 + [["moon"]] * 6
    index = build_bm25(docs)
    assert [i for i, _ in index.top(["space"], 4)] == [3, 4, 5, 6]
    assert [i for i, _ in index.top(["space"], 100)] == [3, 4, 5, 6, 7]


def test_top_scores_are_sorted_best_first():
    docs, _ = random_corpus(5)
    top = build_bm25(docs).top(["w2", "w5", "usual"], 20)
    scores = [s for _, s in top]
    assert scores == sorted(scores, reverse=True)


def test_empty_corpus_is_refused():
    with pytest.raises(ValueError, match="empty corpus"):
        build_bm25([])


def test_index_size_is_the_number_of_passages():
    assert build_bm25([["a"], [], ["b"]]).size == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [({"k1": -0.1}, "k1"), ({"b": -0.01}, "b must be between 0 and 1"), ({"b": 1.5}, "b must be between 0 and 1")],
)
def test_params_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BM25Params(**kwargs)


def test_params_defaults_are_rank_bm25s():
    assert BM25Params() == BM25Params(k1=1.5, b=0.75, epsilon=0.25)


@pytest.mark.parametrize("kwargs", [{"k1": float("nan")}, {"k1": float("inf")}, {"b": float("nan")},
                                    {"epsilon": -0.1}, {"epsilon": float("nan")}])
def test_params_reject_non_finite_and_negative_values(kwargs):
    with pytest.raises(ValueError, match="bm25"):
        BM25Params(**kwargs)


@pytest.mark.parametrize("k", [0, -3])
def test_top_with_k_zero_or_less_returns_nothing(k):
    index = build_bm25([["a"], ["b"], ["c"]])
    assert index.top(["a"], k) == []


def scipy_weights(corpus: list[list[str]], params: BM25Params):
    """The weight matrix as build_bm25 made it before it streamed: Python lists of every posting,
    then scipy's csr_matrix (the reference the streaming build must equal bit for bit)."""
    from collections import Counter

    from scipy import sparse

    vocab, doc_freq, rows, cols, tfs = {}, [], [], [], []
    doc_len = np.array([len(d) for d in corpus], dtype=np.float64)
    for col, terms in enumerate(corpus):
        for term, tf in Counter(terms).items():
            row = vocab.setdefault(term, len(vocab))
            if row == len(doc_freq):
                doc_freq.append(0)
            doc_freq[row] += 1
            rows.append(row)
            cols.append(col)
            tfs.append(tf)
    n = len(corpus)
    avgdl = doc_len.sum() / n
    idf = np.array([math.log(n - f + 0.5) - math.log(f + 0.5) for f in doc_freq], dtype=np.float64)
    idf = np.where(idf < 0, params.epsilon * (idf.sum() / idf.size), idf)
    tf = np.array(tfs, dtype=np.float64)
    col_arr = np.array(cols, dtype=np.int64)
    norm = params.k1 * (1 - params.b + params.b * doc_len[col_arr] / avgdl) if avgdl > 0 else np.full(tf.shape, params.k1)
    data = idf[np.array(rows, dtype=np.int64)] * tf * (params.k1 + 1) / (tf + norm)
    weights = sparse.csr_matrix((data, (rows, cols)), shape=(len(vocab), n), dtype=np.float64)
    weights.sort_indices()
    return vocab, weights


@pytest.mark.parametrize("params", [BM25Params(), BM25Params(k1=1.2, b=0.6, epsilon=0.1)])
def test_streamed_build_equals_the_scipy_matrix_bit_for_bit(params, monkeypatch):
    """Passages given one at a time (a generator), weights computed in blocks smaller than the
    postings: the same vocabulary order, the same CSR arrays, the same float64 bytes."""
    import random

    import qa.retrieval.bm25 as bm25

    monkeypatch.setattr(bm25, "POSTINGS_BLOCK", 97)  # many blocks, one cut inside a term's postings
    rng = random.Random(4)
    words = [f"w{i}" for i in range(120)]
    docs = [[rng.choice(words[:rng.randint(1, 120)]) for _ in range(rng.randint(0, 30))] for _ in range(400)]
    vocab, expected = scipy_weights(docs, params)
    ours = build_bm25((d for d in docs), params)
    assert ours.vocab == vocab and ours.size == 400 and ours.weights.shape == expected.shape
    assert ours.weights.indptr.tolist() == expected.indptr.tolist()
    assert ours.weights.indices.tolist() == expected.indices.tolist()
    assert ours.weights.data.tobytes() == expected.data.tobytes()


def test_streamed_build_of_an_empty_generator_is_refused():
    with pytest.raises(ValueError, match="empty corpus"):
        build_bm25(d for d in [])
