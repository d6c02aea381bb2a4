"""SQuAD examples -> (question, sentence) pairs labelled 1 when the sentence holds the answer.

The sentence scorer (qa.reader.sentences) judges a quote as the tool shows it: one sentence of a
passage, cut as ingestion cuts them (qa.ingestion.chunking.split_sentences). For each training
question: the sentence(s) holding the answer (positive), ``neg_same`` other sentences of the same
paragraph (the near misses a reader confuses), and with probability ``neg_other`` the ``other_sents``
sentences of the paragraph of the same article that share most words with the question but lack the
answer (what a retriever brings), and ``neg_retrieved`` sentences of the paragraph of *another* article
that BM25 ranks first for the question (a passage of the wrong document that a retriever brings
beside the right one: what decides which passage the tool reads), and with ``neg_removed`` the answer
sentence itself with the answer taken out (``without_answer``: the near miss of a question the
document speaks of but does not answer, which the tool should refuse). The pairs of one question form a group: the listwise loss of
qa.reader.sentence_train compares them with each other. Every draw depends only on the settings' seed.
"""

from __future__ import annotations

import random
import re

import numpy as np

from qa.ingestion.chunking import split_sentences
from qa.reader.data import _words, closest_other_paragraph, paragraph_words, question_pool, shuffled_questions
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


# a word left dangling when the answer after it is taken out ("held in Geneva, from" -> "held, from")
DANGLING = frozenset("a an the in on at of by for from to with as about around than since until during over under "
                     "between into some".split())
MIN_WORDS_LEFT = 4


def without_answer(sentence: str, a0: int, a1: int) -> str | None:
    """``sentence`` with the answer at ``[a0, a1)`` taken out: the words just before it that would
    dangle (DANGLING) go with it, then the spaces before punctuation, doubled spaces and commas. None
    where the answer is part of a word, its text is still in what is left, or fewer than
    MIN_WORDS_LEFT words are."""
    answer = sentence[a0:a1].strip().lower()
    if (a0 > 0 and (sentence[a0 - 1].isalnum() or sentence[a0 - 1] in "-'’")) \
            or (a1 < len(sentence) and (sentence[a1].isalnum() or sentence[a1] == "-")):
        return None   # the answer is part of a word ("20[1]0", "[three]-year"): nothing to take out cleanly
    head, tail = sentence[:a0].rstrip(), sentence[a1:]
    while head and head.rsplit(None, 1)[-1].lstrip("([").lower() in DANGLING:
        word = head.rsplit(None, 1)[-1]
        head = head[: -len(word)] + word[: len(word) - len(word.lstrip("(["))]
        head = head.rstrip() if not head.endswith(("(", "[")) else head
    text = re.sub(r"\s+([,.;:!?)])", r"\1", f"{head} {tail.lstrip()}".strip())
    text = re.sub(r"\(\s*\)|\[\s*\]", "", re.sub(r"\s{2,}", " ", text)).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", text))
    text = re.sub(r"^[,;:]\s*", "", re.sub(r"([,;:])(\s*[,;:])+", r"\1", text))
    if not answer or answer in text.lower() or len(text.split()) < MIN_WORDS_LEFT:
        return None
    return text[0].upper() + text[1:] if not head else text


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


def word_overlap(question: str, sentence: str) -> float:
    """The share of ``question``'s content words that ``sentence`` holds (1.0 for a question with none)."""
    q = _words(question)
    return len(q & _words(sentence)) / len(q) if q else 1.0


def overlap_pool(articles: list[list[list[Example]]], train_ids: list[int], s, rng: random.Random) -> list[Example]:
    """``shuffled_questions`` after ``s.skip``, keeping the first ``s.questions`` questions whose answer
    sentence holds at most ``s.max_overlap`` of their content words (``word_overlap``): the paraphrased
    questions, where the answer's sentence says it in other words. With ``s.overlap_mix`` > 0 that share
    of the ``s.questions`` are the first questions above ``s.max_overlap`` instead (the ordinary ones
    beside them), in the same order."""
    full = shuffled_questions(articles, train_ids, rng)[s.skip:]
    ordinary = round(s.questions * s.overlap_mix)
    want = {True: s.questions - ordinary, False: ordinary}
    keep = []
    for ex in full:
        span = answer_sentence(ex)
        if span is None:
            continue
        low = word_overlap(ex.question, ex.context[span[0]:span[1]]) <= s.max_overlap
        if want[low]:
            keep.append(ex)
            want[low] -= 1
            if not any(want.values()):
                break
    return keep


def sentence_groups(articles: list[list[list[Example]]], train_ids: list[int], s) -> list[list[tuple[str, str, int]]]:
    """One group of (question, sentence, label) per training question of ``s.questions`` (after
    ``s.skip``): its answer sentence first, then ``s.neg_same`` others of its paragraph and, with
    probability ``s.neg_other``, the ``s.other_sents`` sentences of the closest other paragraph that
    share most words with the question, then the ``s.neg_retrieved`` such sentences of the best BM25
    paragraph of another article, then with ``s.neg_removed`` the answer sentence without its answer
(``without_answer``). With ``s.max_overlap`` < 1 the questions are those of ``overlap_pool``. Runs
without ``neg_retrieved``, ``neg_removed`` and ``max_overlap`` draw what they drew before them."""
    rng = random.Random(s.seed)
    pool = overlap_pool(articles, train_ids, s, rng) if s.max_overlap < 1 else question_pool(articles, train_ids, s, rng)
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
        if s.neg_removed:
            a0 = ex.answer_start - span[0]
            removed = without_answer(group[0][1], a0, a0 + len(ex.answer))
            if removed is not None:
                group.append((ex.question, removed, 0))
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
