"""SQuAD examples -> the reader's training windows, batched; and the dev questions it is scored on.

For each training question: one window of its paragraph that holds the answer (a random one when
the paragraph needs several), and, as negatives labelled at [CLS], with probability ``neg_same`` a
window of the same paragraph without the answer (when there is one) and with probability
``neg_other`` the paragraph of the same article that shares most words with the question but lacks
the answer (what a retriever would bring), and with probability ``neg_cut`` the question's own
paragraph with the answer's sentence cut out (the near miss of a document on the question's topic
that lacks the fact asked for: what most unanswerable questions meet). Every draw depends only on
the settings' seed; with ``neg_cut`` 0 the windows are those of the runs before it existed.
"""

from __future__ import annotations

import random
import re

import numpy as np

from qa.ingestion.chunking import split_sentences
from qa.reader.squad import Example
from qa.reader.windows import make_windows

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the of in on at to for by with from and or is are was were be been what which who whom "
                  "whose when where why how did do does that this these those it its as into than".split())


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def shuffled_questions(articles: list[list[list[Example]]], train_ids: list[int], rng: random.Random) -> list[Example]:
    """Every question of the articles ``train_ids``, shuffled with ``rng``: the order runs take them in."""
    pool = [ex for a in train_ids for para in articles[a] for ex in para]
    rng.shuffle(pool)
    return pool


def question_pool(articles: list[list[list[Example]]], train_ids: list[int], s, rng: random.Random) -> list[Example]:
    """The training questions: ``s.questions`` of ``shuffled_questions``, after the first ``s.skip``
    (those an earlier run saw)."""
    return shuffled_questions(articles, train_ids, rng)[s.skip: s.skip + s.questions]


def paragraph_words(articles: list[list[list[Example]]], train_ids: list[int]) -> dict[tuple[int, int], set[str]]:
    """The content words of each paragraph of the articles ``train_ids``, by (article, paragraph)."""
    return {(a, p): _words(articles[a][p][0].context) if articles[a][p] else set()
            for a in train_ids for p in range(len(articles[a]))}


def closest_other_paragraph(ex: Example, articles, para_words, rng: random.Random) -> int | None:
    """The paragraph of ``ex``'s article, not its own and without the answer's text, that shares the
    most content words with the question (what a retriever would bring; ties drawn with ``rng``);
    None when there is none."""
    q = _words(ex.question)
    answer = ex.answer.lower()
    near = [(len(q & para_words[(ex.article, p)]), p) for p in range(len(articles[ex.article]))
            if p != ex.paragraph and articles[ex.article][p] and answer not in articles[ex.article][p][0].context.lower()]
    if not near:
        return None
    best = max(n for n, _ in near)
    return rng.choice([p for n, p in near if n == best])


def cut_answer_sentence(context: str, start: int, end: int, answer: str) -> str | None:
    """``context`` without the sentence(s) that hold ``[start, end)``, cut as ingestion cuts them
    (qa.ingestion.chunking.split_sentences); None when the answer's text is still there after the
    cut (said twice), or when less than two sentences would be left."""
    kept = [context[a:b] for a, b in split_sentences(context) if b <= start or a >= end]
    if len(kept) < 2:
        return None
    rest = " ".join(kept)
    return None if answer.lower() in rest.lower() else rest


def training_windows(articles: list[list[list[Example]]], train_ids: list[int], tokenizer,
                     s) -> dict[str, np.ndarray]:
    """The training windows as arrays: input_ids, attention_mask, token_type_ids, start, end.

    ``s`` is the run's TrainSettings (questions, skip, max_tokens, stride, neg_same, neg_other,
    neg_cut, seed):
    the questions are ``questions`` of the seeded shuffle after its first ``skip``."""
    rng = random.Random(s.seed)
    pool = question_pool(articles, train_ids, s, rng)
    para_words = paragraph_words(articles, train_ids)
    rows: dict[str, list] = {k: [] for k in ("input_ids", "attention_mask", "token_type_ids", "start", "end")}

    def add(win, w, start, end):
        for k in ("input_ids", "attention_mask", "token_type_ids"):
            rows[k].append(getattr(win, k)[w])
        rows["start"].append(start)
        rows["end"].append(end)

    for ex in pool:
        win = make_windows(tokenizer, ex.question, [ex.context], s.max_tokens, s.stride)
        a0, a1 = ex.answer_start, ex.answer_start + len(ex.answer)
        pos, neg = [], []
        for w in range(len(win)):
            off = win.offsets[w]
            inside = np.flatnonzero(off[:, 0] >= 0)
            if off[inside[0], 0] <= a0 and off[inside[-1], 1] >= a1:
                st = next(t for t in inside if off[t, 1] > a0)
                en = next(t for t in inside[::-1] if off[t, 0] < a1)
                pos.append((w, int(st), int(en)))
            elif off[inside[-1], 1] <= a0 or off[inside[0], 0] >= a1:
                neg.append(w)
        if not pos:
            continue
        add(win, *rng.choice(pos))
        if neg and rng.random() < s.neg_same:
            add(win, rng.choice(neg), 0, 0)
        if rng.random() < s.neg_other:
            p = closest_other_paragraph(ex, articles, para_words, rng)
            if p is not None:
                other = make_windows(tokenizer, ex.question, [articles[ex.article][p][0].context],
                                     s.max_tokens, s.stride)
                if len(other):
                    add(other, rng.randrange(len(other)), 0, 0)
        if s.neg_cut and rng.random() < s.neg_cut:
            rest = cut_answer_sentence(ex.context, a0, a1, ex.answer)
            if rest is not None:
                cut = make_windows(tokenizer, ex.question, [rest], s.max_tokens, s.stride)
                if len(cut):
                    add(cut, rng.randrange(len(cut)), 0, 0)
    width = s.max_tokens
    out = {}
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        arr = np.zeros((len(rows[k]), width), dtype=np.int64)
        for i, r in enumerate(rows[k]):
            arr[i, : len(r)] = r
        out[k] = arr
    out["start"] = np.asarray(rows["start"], dtype=np.int64)
    out["end"] = np.asarray(rows["end"], dtype=np.int64)
    return out


def batch_order(lengths: np.ndarray, batch: int, seed: int, bucket: int = 50) -> list[np.ndarray]:
    """Batches of window indices: shuffled, then sorted by length within groups of ``bucket`` batches
    (so a batch pads little), the batches of each group in a random order. Depends only on ``seed``."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    batches = []
    size = batch * bucket
    for g in range(0, len(order), size):
        group = order[g: g + size]
        group = group[np.argsort(lengths[group], kind="stable")]
        chunk = [group[i: i + batch] for i in range(0, len(group), batch)]
        for i in rng.permutation(len(chunk)):
            batches.append(chunk[i])
    return batches


def dev_examples(articles, dev_ids: list[int], n: int, seed: int) -> list[Example]:
    """``n`` questions of the dev articles, drawn with ``seed`` (the same on every call)."""
    pool = [ex for a in dev_ids for para in articles[a] for ex in para]
    random.Random(seed + 1).shuffle(pool)
    return pool[:n]
