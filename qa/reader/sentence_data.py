"""SQuAD examples -> (question, sentence) pairs labelled 1 when the sentence holds the answer.

The sentence scorer (qa.reader.sentences) judges a quote as the tool shows it: one sentence of a
passage, cut as ingestion cuts them (qa.ingestion.chunking.split_sentences). For each training
question: the sentence(s) holding the answer (positive), ``neg_same`` other sentences of the same
paragraph (the near misses a reader confuses), and with probability ``neg_other`` the ``other_sents``
sentences of the paragraph of the same article that share most words with the question but lack the
answer (what a retriever brings), and ``neg_retrieved`` sentences of the paragraph of *another* article
that BM25 ranks first for the question (a passage of the wrong document that a retriever brings
beside the right one: what decides which passage the tool reads). The pairs of one question form a group: the listwise loss of
qa.reader.sentence_train compares them with each other. Every draw depends only on the settings' seed.
"""

from __future__ import annotations

import random

import numpy as np

from qa.ingestion.chunking import split_sentences
from qa.reader.data import _words, closest_other_paragraph, paragraph_words, question_pool
from qa.reader.squad import Example
from qa.reader.windows import make_windows
from qa.retrieval.bm25 import build_bm25
from qa.retrieval.tokenize import tokenize


def answer_sentence(ex: Example) -> tuple[int, int] | None:
    """The run of ``ex.context``'s sentences that holds its answer, as (start, end); None if none."""
    a0, a1 = ex.answer_start, ex.answer_start + len(ex.answer)
    touched = [(s, e) for s, e in split_sentences(ex.context) if s < a1 and a0 < e]
    return (touched[0][0], touched[-1][1]) if touched else None


def other_sentences(ex: Example, span: tuple[int, int]) -> list[str]:
    """The sentences of ``ex.context`` that do not overlap ``span`` nor hold the answer's words."""
    answer = ex.answer.lower()
    return [ex.context[s:e] for s, e in split_sentences(ex.context)
            if (e <= span[0] or s >= span[1]) and answer not in ex.context[s:e].lower()]


def best_sentences(question: str, context: str, n: int) -> list[str]:
    """The ``n`` sentences of ``context`` that share most words with ``question`` (ties: in order)."""
    q = _words(question)
    sents = sorted(split_sentences(context), key=lambda se: -len(q & _words(context[se[0]:se[1]])))
    return [context[a:b] for a, b in sents[:n]]


def retrieved_paragraphs(articles: list[list[list[Example]]], train_ids: list[int], pool: list[Example],
                         depth: int = 10) -> list[tuple[int, int] | None]:
    """For each question of ``pool``, the paragraph (article, paragraph) of another training article,
    without the answer's text, that BM25 (the tool's own scoring and tokenizer) ranks highest among
    its first ``depth``; None when none is."""
    keys = [(a, p) for a in train_ids for p in range(len(articles[a])) if articles[a][p]]
    index = build_bm25(tokenize(articles[a][p][0].context) for a, p in keys)
    out = []
    for ex in pool:
        answer = ex.answer.lower()
        found = None
        for col, _ in index.top(tokenize(ex.question), depth):
            a, p = keys[col]
            if a != ex.article and answer not in articles[a][p][0].context.lower():
                found = (a, p)
                break
        out.append(found)
    return out


def sentence_groups(articles: list[list[list[Example]]], train_ids: list[int], s) -> list[list[tuple[str, str, int]]]:
    """One group of (question, sentence, label) per training question of ``s.questions`` (after
    ``s.skip``): its answer sentence first, then ``s.neg_same`` others of its paragraph and, with
    probability ``s.neg_other``, the ``s.other_sents`` sentences of the closest other paragraph that
    share most words with the question, then the ``s.neg_retrieved`` such sentences of the best BM25
    paragraph of another article. Runs without ``neg_retrieved`` draw what they drew before it."""
    rng = random.Random(s.seed)
    pool = question_pool(articles, train_ids, s, rng)
    para_words = paragraph_words(articles, train_ids)
    n_retrieved = s.neg_retrieved
    retrieved = retrieved_paragraphs(articles, train_ids, pool) if n_retrieved else [None] * len(pool)
    groups = []
    for ex, far in zip(pool, retrieved):
        span = answer_sentence(ex)
        if span is None:
            continue
        group = [(ex.question, ex.context[span[0]:span[1]], 1)]
        others = other_sentences(ex, span)
        for sent in rng.sample(others, min(s.neg_same, len(others))):
            group.append((ex.question, sent, 0))
        if rng.random() < s.neg_other:
            p = closest_other_paragraph(ex, articles, para_words, rng)
            if p is not None:
                group.extend((ex.question, t, 0) for t in best_sentences(ex.question, articles[ex.article][p][0].context,
                                                                          s.other_sents))
        if far is not None:
            group.extend((ex.question, t, 0) for t in best_sentences(ex.question, articles[far[0]][far[1]][0].context,
                                                                      n_retrieved))
        groups.append(group)
    return groups


def sentence_pairs(articles: list[list[list[Example]]], train_ids: list[int], s) -> list[tuple[str, str, int]]:
    """The groups of ``sentence_groups`` as one list of (question, sentence, label) pairs."""
    return [pair for group in sentence_groups(articles, train_ids, s) for pair in group]


def pair_arrays(pairs: list[tuple[str, str, int]], tokenizer, max_tokens: int,
                groups: list[int] | None = None) -> dict[str, np.ndarray]:
    """Token arrays of the pairs as the scorer reads them (the first window of each), and labels;
    with ``groups`` (one id per pair) also "group", the ids of the pairs kept."""
    rows: dict[str, list] = {k: [] for k in ("input_ids", "attention_mask", "token_type_ids")}
    labels, kept = [], []
    for i, (question, sentence, label) in enumerate(pairs):
        win = make_windows(tokenizer, question, [sentence], max_tokens, 0)
        if not len(win):
            continue
        for k in rows:
            rows[k].append(getattr(win, k)[0])
        labels.append(label)
        kept.append(i)
    out = {}
    for k, rs in rows.items():
        arr = np.zeros((len(rs), max_tokens), dtype=np.int64)
        for i, r in enumerate(rs):
            arr[i, : len(r)] = r
        out[k] = arr
    out["label"] = np.asarray(labels, dtype=np.float32)
    if groups is not None:
        out["group"] = np.asarray([groups[i] for i in kept], dtype=np.int64)
    return out
