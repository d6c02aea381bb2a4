"""SQuAD v1.1 for the reader: loading, the split by article, and the official EM / F1.

The training data is ``shared/data/squad-train/train-v1.1.json.gz`` (Rajpurkar et al., 2016,
CC BY-SA 4.0). Articles, not questions, are split: a held-out article's paragraphs are never
seen in training, so the dev figures are those of unseen text.
"""

from __future__ import annotations

import collections
import gzip
import json
import random
import re
import string
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQUAD = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "squad-train" / "train-v1.1.json.gz"


@dataclass(frozen=True)
class Example:
    """One question on one paragraph; ``answer_start`` indexes ``context``."""

    qid: str
    article: int
    paragraph: int
    question: str
    context: str
    answer: str
    answer_start: int


def load_squad(path: str | Path) -> list[list[list[Example]]]:
    """Articles -> paragraphs -> examples of a SQuAD-format file (``.json`` or ``.json.gz``).

    Raises FileNotFoundError naming the file, ValueError when it is not SQuAD-shaped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no SQuAD file there (set --squad to train-v1.1.json.gz)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or "data" not in data:
        raise ValueError(f"{path}: not SQuAD-format JSON (no 'data' list)")
    articles = []
    for a, article in enumerate(data["data"]):
        paragraphs = []
        for p, para in enumerate(article["paragraphs"]):
            ctx = para["context"]
            exs = []
            for qa in para["qas"]:
                if not qa.get("answers"):
                    continue
                ans = qa["answers"][0]
                start = int(ans["answer_start"])
                if ctx[start:start + len(ans["text"])] != ans["text"]:
                    raise ValueError(f"{path}: question {qa['id']}: answer text not at its answer_start")
                exs.append(Example(str(qa["id"]), a, p, qa["question"], ctx, ans["text"], start))
            paragraphs.append(exs)
        articles.append(paragraphs)
    return articles


def split_articles(n_articles: int, dev_articles: int, seed: int) -> tuple[list[int], list[int]]:
    """(train, dev) article indices: ``dev_articles`` drawn at random with ``seed``, the rest train."""
    order = list(range(n_articles))
    random.Random(seed).shuffle(order)
    return sorted(order[dev_articles:]), sorted(order[:dev_articles])


def normalize_answer(s: str) -> str:
    """SQuAD's official normalisation: lower case, no punctuation, no articles, single spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def exact_match(prediction: str, truths: list[str]) -> float:
    """1.0 when the normalised prediction equals one normalised truth, else 0.0."""
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(t) for t in truths))


def f1_score(prediction: str, truths: list[str]) -> float:
    """SQuAD's token F1: the best over ``truths`` of the harmonic mean of token precision and recall."""
    best = 0.0
    p_tokens = normalize_answer(prediction).split()
    for t in truths:
        t_tokens = normalize_answer(t).split()
        common = collections.Counter(p_tokens) & collections.Counter(t_tokens)
        same = sum(common.values())
        if not p_tokens or not t_tokens:
            best = max(best, float(p_tokens == t_tokens))
            continue
        if same == 0:
            continue
        precision, recall = same / len(p_tokens), same / len(t_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best
