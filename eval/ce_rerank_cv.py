"""Retrieval re-ranked by the sentence scorer (a cross-encoder), cross-validated (issue 22).

The shipped hybrid (BM25 k1 1.2, b 0.6, title twice; dense with the best sentence at 0.75;
min-max fusion at 0.5) ranks passages; the sentence scorer (qa/reader/sentences.onnx) then judges
the ``n`` sentences of the top ``depth`` passages closest to the query by their vectors, and each
of those passages is scored by its best logit, mixed with retrieval in one of two ways:

- ``rank``: best logit - w * log(1 + retrieval rank) (qa/answers/rerank.py's rule);
- ``mix``:  fused score (min-max, 0..1) + w * sigmoid(best logit).

Passages with no judged sentence count the lowest logit judged. Each family is cross-validated as
eval/scifact_cv.py does (5 folds, seed 22). Logits are cached in eval/cache per scorer file, so a
second run (or a new scorer, by ``QA_SENTENCES``) costs only what it has not judged.

    HF_HUB_OFFLINE=1 .venv/bin/python eval/ce_rerank_cv.py scifact
    HF_HUB_OFFLINE=1 .venv/bin/python eval/ce_rerank_cv.py home        # home tuning split
    HF_HUB_OFFLINE=1 .venv/bin/python eval/ce_rerank_cv.py real:report # a reporting split

An experiment, not part of the package.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

import scifact_cv as cv  # noqa: E402

DEPTHS = (10, 20)
SENTENCES = (10, 20, 40)
RANK_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)
MIX_WEIGHTS = (0.1, 0.2, 0.35, 0.5, 1.0)


def chunks_of(bench_name: str):
    """The passages' (text, start, sentence offsets), row for row with the bench."""
    if bench_name == "scifact":
        from qa.retrieval.store import load_index
        chunks = load_index(cv.CACHE / "beir-scifact").chunks
    else:
        from qa.evaluation.goldsets import gold_set, open_gold_retriever
        chunks = open_gold_retriever(gold_set(bench_name.split("-")[0])).data.chunks
    return chunks


def sentence_texts(chunk) -> list[str]:
    return [chunk.text[a - chunk.start:b - chunk.start] for a, b in chunk.sentences] or [chunk.text]


def fused_values(lex_s, lex_rows, den_s, den_rows, w: float) -> tuple[np.ndarray, np.ndarray]:
    """cv.fuse with min-max, returning (rows best first, fused values)."""
    a = cv.normalise(lex_s, lex_rows, "minmax") if lex_rows.size else {}
    b = cv.normalise(den_s, den_rows, "minmax") if den_rows.size else {}
    keys = list(dict.fromkeys([*a, *b]))
    vals = np.array([(1 - w) * a.get(k, 0.0) + w * b.get(k, 0.0) for k in keys])
    order = np.argsort(-vals, kind="stable")
    return np.array(keys)[order], vals[order]


def main(which: str) -> None:
    from qa.reader.sentences import load_scorer

    t0 = time.time()
    name, _, split = which.partition(":")
    bench = cv.scifact_bench() if name == "scifact" else cv.gold_bench(name, split or "tune")
    chunks = chunks_of(bench.name)
    assert len(chunks) == len(bench.ids)
    n = len(bench.qids)
    scorer = load_scorer()
    sha = hashlib.sha256(scorer.path.read_bytes()).hexdigest()[:12]
    cache_path = cv.CACHE / f"ce-{bench.name}-{sha}.json"
    cache: dict[str, float] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    print(f"{bench.name}: {len(bench.ids)} passages, {n} queries, scorer {sha}, {len(cache)} cached "
          f"({time.time() - t0:.0f}s)", flush=True)

    lex = cv.Lexical(bench, 1.2, 0.6, 2.0, "repeat")
    lr = cv.lexical_runs(bench, lex, None)
    dr = cv.sentence_dense_runs(bench, 0.75)
    ptr = bench.sent_ptr
    base_orders, per_query = [], []
    judged = 0
    for i, ((ls, lrows), (ds, drows)) in enumerate(zip(lr, dr)):
        rows, vals = fused_values(ls, lrows, ds, drows, 0.5)
        base_orders.append(rows)
        top = rows[: max(DEPTHS)]
        cands = []  # (cosine, rank, sentence index)
        for rank, r in enumerate(top.tolist()):
            texts = sentence_texts(chunks[r])
            sv = bench.sentences[ptr[r]:ptr[r + 1]]
            cos = sv @ bench.qvectors[i] if len(sv) == len(texts) and len(texts) else \
                np.array([float(bench.vectors[r] @ bench.qvectors[i])])
            texts = texts if len(cos) == len(texts) else [chunks[r].text]
            cands += [(-float(c), rank, s, texts[s]) for s, c in enumerate(cos)]
        cands.sort(key=lambda t: (t[0], t[1], t[2]))
        chosen = cands[: max(SENTENCES)]
        todo = sorted({t for *_, t in chosen if f"{i}\t{t}" not in cache})
        if todo:
            for t, z in zip(todo, scorer.score(bench.queries[i], todo)):
                cache[f"{i}\t{t}"] = float(z)
            judged += len(todo)
        per_query.append((rows, vals, [(rank, cache[f"{i}\t{t}"]) for _, rank, _, t in chosen]))
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{n} queries, {judged} sentences judged ({time.time() - t0:.0f}s)", flush=True)
            cache_path.write_text(json.dumps(cache))
    cache_path.write_text(json.dumps(cache))

    base = cv.per_query_ndcg(bench, base_orders)
    tables = {"rank": {"today": base}, "mix": {"today": base}}
    for depth, ns in itertools.product(DEPTHS, SENTENCES):
        best_by_q = []
        for rows, vals, judged_q in per_query:
            best = [None] * min(depth, len(rows))
            for rank, z in judged_q[:ns]:
                if rank < depth:
                    best[rank] = z if best[rank] is None else max(best[rank], z)
            best_by_q.append(best)
        for w in RANK_WEIGHTS:
            orders = []
            for (rows, vals, _), best in zip(per_query, best_by_q):
                given = [b for b in best if b is not None]
                floor = min(given) if given else 0.0
                key = [(floor if b is None else b) - w * math.log1p(k) for k, b in enumerate(best)]
                head = sorted(range(len(best)), key=lambda k: (-key[k], k))
                orders.append(np.concatenate([rows[head], rows[len(best):]]))
            tables["rank"][(depth, ns, w)] = cv.per_query_ndcg(bench, orders)
        for w in MIX_WEIGHTS:
            orders = []
            for (rows, vals, _), best in zip(per_query, best_by_q):
                given = [b for b in best if b is not None]
                floor = min(given) if given else 0.0
                key = [vals[k] + w / (1 + math.exp(-(floor if b is None else b))) for k, b in enumerate(best)]
                head = sorted(range(len(best)), key=lambda k: (-key[k], k))
                orders.append(np.concatenate([rows[head], rows[len(best):]]))
            tables["mix"][(depth, ns, w)] = cv.per_query_ndcg(bench, orders)
    print(f"  shipped hybrid (C): {base.mean():.4f}")
    for label, table in tables.items():
        cv.report(label, table, n, "today")
        for key in sorted(k for k in table if k != "today"):
            print(f"    {label} {key}: {table[key].mean():.4f}")
    both = {**{("rank",) + k: v for k, v in tables["rank"].items() if k != "today"},
            **{("mix",) + k: v for k, v in tables["mix"].items() if k != "today"}, "today": base}
    cv.report("rank or mix", both, n, "today")
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "scifact")
