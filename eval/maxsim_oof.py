"""Would a token-level alignment of question and sentence choose better answers? Measured out of fold.

    python eval/maxsim_oof.py [--top 8]

For every candidate of the tuning questions of both gold sets (the rows `qa fit-answers` caches
in eval/cache), MaxSim: the mean over the question's word pieces (stop words and the model's
special tokens left out) of the best cosine with a word piece of the candidate, from the token
embeddings of the index's own model (all-MiniLM-L6-v2, before pooling). Then, out of fold by
document as `qa fit-answers` does, the hit rate of the candidate model as committed against:
(a) the same logistic regression with MaxSim and its gap to the question's best as two more
features; (b) a second stage that re-ranks the committed model's top ``--top`` candidates with
those features (only those candidates need encoding when a question is asked).

An experiment for the next step of issue 15, not part of the answer stage: nothing here is used by
`qa ask`. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def token_vectors(model, texts: list[str], stop_words) -> list[np.ndarray]:
    """Unit token embeddings of each text, without special tokens, stop words and punctuation."""
    out = []
    embedded = model.encode(texts, output_value="token_embeddings", batch_size=64, convert_to_numpy=False)
    for text, vectors in zip(texts, embedded):
        pieces = model.tokenizer.convert_ids_to_tokens(model.tokenizer(text, truncation=True, max_length=256)["input_ids"])
        vectors = vectors.cpu().numpy()[: len(pieces)]
        keep = [i for i, p in enumerate(pieces) if p not in ("[CLS]", "[SEP]")
                and p.strip("#").lower() not in stop_words and any(ch.isalnum() for ch in p)]
        vectors = vectors[keep] if keep else vectors
        out.append(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    return out


def maxsim(question: np.ndarray, sentence: np.ndarray) -> float:
    """Mean over the question's token vectors of the best cosine with one of the sentence's."""
    return float((question @ sentence.T).max(axis=1).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=8, help="candidates the second stage re-ranks")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from sentence_transformers import SentenceTransformer

    from qa.answers.features import CANDIDATE_FEATURES
    from qa.answers.model import load_model
    from qa.evaluation.answer_data import collect
    from qa.evaluation.fit import groups_of, oof_hit
    from qa.evaluation.fit_report import pool
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set, open_gold_retriever
    from qa.evaluation.logistic import fit_linear
    from qa.retrieval.model_files import resolve_model
    from qa.retrieval.tokenize import STOP_WORDS

    committed = load_model()
    passages, l2 = committed.passages, 3.0
    rows = []
    for name in ("home", "real"):
        g = gold_set(name)
        rows += collect(name, open_gold_retriever(g), load_gold(g.questions), ROOT / "eval" / "cache")
    tune = [r for r in rows if r.split == "tune"]
    model = SentenceTransformer(resolve_model("sentence-transformers/all-MiniLM-L6-v2"), device="cpu")
    texts = sorted({c.text for r in tune for c in pool(r, passages)[0]})
    questions = sorted({r.question for r in tune})
    vectors = dict(zip(texts, token_vectors(model, texts, STOP_WORDS)))
    asked = dict(zip(questions, token_vectors(model, questions, STOP_WORDS)))
    scores = {(r.gold_set, r.id): np.array([maxsim(asked[r.question], vectors[c.text]) for c in pool(r, passages)[0]])
              for r in tune}
    names = CANDIDATE_FEATURES + ("maxsim", "maxsim_gap")

    def extended(r, m, rows_=None):
        s = scores[r.gold_set, r.id] if rows_ is None else scores[r.gold_set, r.id][rows_]
        m = m if rows_ is None else m[rows_]
        return np.hstack([m, np.column_stack([s, s - (s.max() if len(s) else 0.0)])])

    def fit(train, features, top=None, base=None):
        xs, ys, ws = [], [], []
        for r in train:
            labels, _, m = pool(r, passages)
            if not r.answerable or not any(c.positive for c in labels):
                continue
            keep = np.argsort(-base.logits(m))[:top] if base is not None else np.arange(len(labels))
            xs.append(features(r, m, keep) if features else m[keep])
            ys.append([float(labels[i].positive) for i in keep])
            ws.append(np.full(len(keep), 1.0 / len(keep)))
        w = np.concatenate(ws)
        return fit_linear(names if features else CANDIDATE_FEATURES, np.vstack(xs), np.concatenate(ys), l2,
                          w * len(w) / w.sum())

    def out_of_fold(kind: str) -> tuple[float, dict]:
        out = []
        for g in groups_of(tune):
            train = [r for r in tune if r.group != g]
            base = fit(train, None)
            second = fit(train, extended) if kind == "features" else fit(train, extended, args.top, base)
            for r in (r for r in tune if r.group == g):
                labels, _, m = pool(r, passages)
                if not labels:
                    out.append((r, None, None))
                    continue
                if kind == "committed":
                    pick = int(np.argmax(base.logits(m)))
                elif kind == "features":
                    pick = int(np.argmax(second.logits(extended(r, m))))
                else:
                    keep = np.argsort(-base.logits(m))[:args.top]
                    pick = int(keep[int(np.argmax(second.logits(extended(r, m, keep))))])
                out.append((r, labels[pick], None))
        per: dict[str, list[float]] = {}
        for r, c, _ in out:
            if r.answerable:
                per.setdefault(r.gold_set, []).append(float(c is not None and c.hit))
        return round(oof_hit(out), 4), {k: round(float(np.mean(v)), 3) for k, v in per.items()}

    print(f"tuning questions {len(tune)}, candidate texts encoded {len(texts)}, pool {passages} passages, l2 {l2}")
    for kind in ("committed", "features", "rerank"):
        hit, per_set = out_of_fold(kind)
        label = f"rerank top {args.top}" if kind == "rerank" else kind
        print(f"{label:16} out-of-fold hit {hit} (mean over sets) {per_set}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
