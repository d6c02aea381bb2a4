"""The embedding model fine-tuned on a benchmark's training queries, cross-validated over grouped folds (issue 22).

Issue 22's last untried lever: fine-tune the whole bi-encoder (all-MiniLM-L6-v2) on SciFact's
training claims, as BEIR's in-domain baselines do, rather than a linear map of the query alone
(eval/query_adapter_cv.py, which gained nothing once the folds could not leak). The loss is
sentence-transformers' MultipleNegativesRankingLoss written out in torch (cross-entropy over the
scaled cosines of a batch: each claim against its cited abstract, the other claims' abstracts and
one BM25 hard negative per claim, the best-ranked abstract the claim does not cite), so no extra
package is needed. After training, every abstract is encoded again (passage and sentence vectors
from one pass, as the index does) and the shipped hybrid runs unchanged on the new vectors.

Folds are eval/query_adapter_cv.py's grouped ones: claims that share a cited abstract stay in one
fold, so a held-out claim's abstract was never a training positive. Each fold's model trains on
the other four folds' claims and scores its own fold's: every per-query figure is out of fold.
One setting, fixed before any fold ran (no grid, so nothing is chosen on the folds): learning
rate 2e-5 with 10% warm-up and linear decay, batch 16, one hard negative, scale 20, EPOCHS epochs,
seed 22, 256 word pieces.

    HF_HUB_OFFLINE=1 .venv/bin/python eval/biencoder_cv.py scifact      # five folds; resumes
    HF_HUB_OFFLINE=1 .venv/bin/python eval/biencoder_cv.py transfer     # all of SciFact train ->
                                                                          # the gold tuning splits

Work (models, vectors, per-fold figures) goes to .biencoder-cv/ (gitignored); a finished fold is
not run again. An experiment, not part of the package.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

import query_adapter_cv as qa_cv  # noqa: E402
import scifact_cv as cv  # noqa: E402

WORK = ROOT / ".biencoder-cv"
LR, BATCH, SCALE, EPOCHS, SEED, MAX_TOKENS, WARMUP = 2e-5, 16, 20.0, 1, 22, 256, 0.1


def passage_texts(bench_name: str) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Each passage's text and its sentences' offsets relative to it, as the index encoded them."""
    if bench_name == "scifact":
        from qa.retrieval.store import load_index

        chunks = load_index(cv.CACHE / "beir-scifact").chunks
    else:
        from qa.evaluation.goldsets import gold_set, open_gold_retriever

        chunks = open_gold_retriever(gold_set(bench_name.split("-")[0])).data.chunks
    return [c.text for c in chunks], [[(s - c.start, e - c.start) for s, e in c.sentences] for c in chunks]


def hard_negative(lex_run, rel: dict[int, int]) -> int:
    """The best BM25-ranked passage the query does not cite (the first row when it cites them all)."""
    rows = lex_run[1]
    return next((int(r) for r in rows if int(r) not in rel), int(rows[0]) if rows.size else 0)


def train(pairs: list[tuple[str, str, str]], out: Path, base: str) -> Path:
    """Fine-tune ``base`` on (query, positive, hard negative) triples; saves to ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm import tqdm

    from qa.retrieval.model_files import resolve_model

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    model = SentenceTransformer(resolve_model(base), device="cpu")
    model.max_seq_length = MAX_TOKENS
    model.train()
    order = list(range(len(pairs)))
    steps_per_epoch = (len(pairs) + BATCH - 1) // BATCH
    total = steps_per_epoch * EPOCHS
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    warm = max(1, int(WARMUP * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))

    def embed(texts: list[str]):
        feats = model.tokenize(texts)
        return torch.nn.functional.normalize(model(feats)["sentence_embedding"], dim=-1)

    bar = tqdm(total=total, desc=f"fine-tune {out.parent.name}", file=sys.stderr)
    losses = []
    for _ in range(EPOCHS):
        random.shuffle(order)
        for s in range(steps_per_epoch):
            batch = [pairs[i] for i in order[s * BATCH:(s + 1) * BATCH]]
            q = embed([b[0] for b in batch])
            d = embed([b[1] for b in batch] + [b[2] for b in batch])
            logits = SCALE * q @ d.T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss))
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-10:]):.3f}")
    bar.close()
    model.eval()
    model.save(str(out))
    (out / "train-log.json").write_text(json.dumps({"loss": losses, "pairs": len(pairs)}))
    return out


def reencoded(bench: cv.Bench, model_dir: Path, cache: Path) -> cv.Bench:
    """``bench`` with every passage, sentence and query vector from ``model_dir`` (cached in ``cache``)."""
    from qa.retrieval.encoder import Encoder

    if not (cache / "vectors.npy").exists():
        enc = Encoder(str(model_dir), backend="torch")
        texts, spans = passage_texts(bench.name)
        got = enc.encode_passages(texts, spans)
        qv = enc.encode_queries(bench.queries)
        cache.mkdir(parents=True, exist_ok=True)
        sentences = [np.asarray(v, dtype=np.float32).reshape(-1, enc.dim) for v in got.sentences]
        np.save(cache / "sentences.npy", np.concatenate(sentences))
        np.save(cache / "queries.npy", np.asarray(qv, dtype=np.float32))
        np.save(cache / "vectors.npy", np.asarray(got.passages, dtype=np.float32))
    sentences = np.load(cache / "sentences.npy")
    if sentences.shape[0] != bench.sentences.shape[0]:
        raise SystemExit(f"{cache}: {sentences.shape[0]} sentence vectors, the index has {bench.sentences.shape[0]}")
    return dataclasses.replace(bench, vectors=np.load(cache / "vectors.npy"), sentences=sentences,
                               qvectors=np.load(cache / "queries.npy"))


def figures(bench: cv.Bench, lex_runs, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per query of ``rows``: dense (best sentence mixed 0.75) and shipped hybrid nDCG@10."""
    sub = dataclasses.replace(bench, qids=[bench.qids[i] for i in rows], queries=[bench.queries[i] for i in rows],
                              qvectors=bench.qvectors[rows], qrels=[bench.qrels[i] for i in rows])
    dense = cv.sentence_dense_runs(sub, 0.75)
    hybrid = [cv.fuse(ls, lr, ds, dr, "minmax", 0.5) for (ls, lr), (ds, dr) in zip([lex_runs[i] for i in rows], dense)]
    return cv.per_query_ndcg(sub, [r for _, r in dense]), cv.per_query_ndcg(sub, hybrid)


def triples(bench: cv.Bench, lex_runs, rows) -> list[tuple[str, str, str]]:
    texts, _ = passage_texts(bench.name)
    return [(bench.queries[i], texts[p], texts[hard_negative(lex_runs[i], bench.qrels[i])])
            for i in rows for p in sorted(bench.qrels[i])]


def base_model(bench_name: str) -> str:
    if bench_name == "scifact":
        from qa.retrieval.store import load_index

        return load_index(cv.CACHE / "beir-scifact").manifest["model"]["name"]
    from qa.retrieval.encoder import DEFAULT_MODEL

    return DEFAULT_MODEL


def cross_validated() -> None:
    t0 = time.time()
    bench = cv.scifact_bench()
    n = len(bench.qids)
    lex_runs = cv.lexical_runs(bench, cv.Lexical(bench, 1.2, 0.6, 2.0, "repeat"), None)
    everyone = np.arange(n)
    base_dense, base_hybrid = figures(bench, lex_runs, everyone)
    fs = qa_cv.grouped_folds(bench.qrels)
    print(f"scifact train: {n} claims, folds {[len(f) for f in fs]}; shipped dense {base_dense.mean():.4f} "
          f"hybrid {base_hybrid.mean():.4f}", flush=True)
    dense, hybrid = np.zeros(n), np.zeros(n)
    for i, test in enumerate(fs):
        fold = WORK / f"scifact-fold{i}"
        result = fold / "result.json"
        if not result.exists():
            train_rows = [t for f, part in enumerate(fs) if f != i for t in part if bench.qrels[t]]
            model = fold / "model"
            if not (model / "train-log.json").exists():
                train(triples(bench, lex_runs, train_rows), model, base_model("scifact"))
            d, h = figures(reencoded(bench, model, fold / "vectors"), lex_runs, test)
            result.write_text(json.dumps({"rows": test.tolist(), "dense": d.tolist(), "hybrid": h.tolist()}))
        got = json.loads(result.read_text())
        dense[got["rows"]], hybrid[got["rows"]] = got["dense"], got["hybrid"]
        print(f"  fold {i} ({len(test)} claims): dense {np.mean(got['dense']):.4f} (shipped "
              f"{base_dense[test].mean():.4f}), hybrid {np.mean(got['hybrid']):.4f} (shipped "
              f"{base_hybrid[test].mean():.4f})  {time.time() - t0:.0f}s", flush=True)
    out = {"claims": n, "folds": [len(f) for f in fs], "shipped_dense": base_dense.mean(),
           "shipped_hybrid": base_hybrid.mean(), "finetuned_dense": dense.mean(), "finetuned_hybrid": hybrid.mean(),
           "hybrid_wins_ties_losses": [int((hybrid > base_hybrid).sum()), int((hybrid == base_hybrid).sum()),
                                       int((hybrid < base_hybrid).sum())],
           "settings": {"lr": LR, "batch": BATCH, "scale": SCALE, "epochs": EPOCHS, "seed": SEED,
                        "max_tokens": MAX_TOKENS, "warmup": WARMUP, "hard_negatives": 1}}
    (ROOT / "eval" / "biencoder-cv.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1), flush=True)


def transfer() -> None:
    """All of SciFact train -> the gold sets' tuning splits (does it hurt the corpora it was not trained on?)."""
    bench = cv.scifact_bench()
    lex_runs = cv.lexical_runs(bench, cv.Lexical(bench, 1.2, 0.6, 2.0, "repeat"), None)
    model = WORK / "scifact-all" / "model"
    if not (model / "train-log.json").exists():
        train(triples(bench, lex_runs, [i for i in range(len(bench.qids)) if bench.qrels[i]]), model,
              base_model("scifact"))
    out = {}
    for name in ("home", "real"):
        gold = cv.gold_bench(name, "tune")
        glex = cv.lexical_runs(gold, cv.Lexical(gold, 1.2, 0.6, 2.0, "repeat"), None)
        rows = np.arange(len(gold.qids))
        bd, bh = figures(gold, glex, rows)
        fd, fh = figures(reencoded(gold, model, WORK / f"transfer-{name}"), glex, rows)
        out[name] = {"questions": len(rows), "shipped_dense": bd.mean(), "shipped_hybrid": bh.mean(),
                     "finetuned_dense": fd.mean(), "finetuned_hybrid": fh.mean()}
        print(name, json.dumps(out[name]), flush=True)
    (ROOT / "eval" / "biencoder-transfer.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    {"scifact": cross_validated, "transfer": transfer}[sys.argv[1] if len(sys.argv) > 1 else "scifact"]()
