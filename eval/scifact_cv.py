"""Retrieval variants scored quickly in-process, chosen by 5-fold cross-validation (issue 22).

Loads a benchmark once (SciFact train from its cached BEIR index in ``eval/cache/beir-scifact``,
or a gold set's tuning split over its index), caches the query vectors in ``eval/cache``, and
scores variants of BM25 (k1/b, a title field, RM3 feedback), dense (vector feedback) and their
fusion (convex with min-max or z-score normalisation, RRF) by nDCG@10 per query. For each family
of settings, 5-fold cross-validation over the queries chooses the best setting on four folds and
scores it on the fifth; the mean of the held-out folds is printed beside the best in-sample one.

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python eval/scifact_cv.py scifact
    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python eval/scifact_cv.py home     # home tuning split
    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python eval/scifact_cv.py real     # real tuning split
    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python eval/scifact_cv.py home:report final   # a shortlist on a split

Stages (second argument): fusion, bm25, title, rm3, dprf, more, combo, cand, final, tail (SciFact:
a second window per long abstract, encoded once into eval/cache); default all but cand, final, tail.

An experiment, not part of the package: the methods that won live in qa/retrieval/.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.retrieval.bm25 import BM25Params, build_bm25  # noqa: E402
from qa.retrieval.tokenize import tokenize  # noqa: E402

CACHE = ROOT / "eval" / "cache"
DEPTH = 100


@dataclass
class Bench:
    name: str
    ids: list[str]              # one per passage
    body: list[list[str]]       # BM25 terms of each passage
    title: list[list[str]]      # BM25 terms of each passage's title field
    vectors: np.ndarray         # unit passage vectors
    sentences: np.ndarray       # unit sentence vectors, rows sent_ptr[i]:sent_ptr[i+1] of passage i
    sent_ptr: np.ndarray
    qids: list[str]
    queries: list[str]
    qvectors: np.ndarray
    qrels: list[dict[int, int]]  # per query: passage row -> grade


def _cached_query_vectors(name: str, texts: list[str], encode) -> np.ndarray:
    path = CACHE / f"cv-{name}-queries.npy"
    meta = CACHE / f"cv-{name}-queries.json"
    if path.exists() and meta.exists() and json.loads(meta.read_text()) == texts:
        return np.load(path)
    vec = np.asarray(encode(texts), dtype=np.float32)
    np.save(path, vec)
    meta.write_text(json.dumps(texts))
    return vec


def scifact_bench() -> Bench:
    from qa.evaluation.beir import load_beir
    from qa.retrieval.store import load_index

    data = load_beir(ROOT.parent / "shared" / "data" / "scifact", "train")
    index = load_index(CACHE / "beir-scifact")
    ids = [c.doc_id for c in index.chunks]
    row = {d: i for i, d in enumerate(ids)}
    body = [tokenize(c.text) for c in index.chunks]
    title = [tokenize(data.corpus[d].title) if data.corpus[d].title.strip() else [] for d in ids]
    qids = sorted(data.queries)
    queries = [data.queries[q] for q in qids]

    def encode(texts):
        from qa.retrieval.encoder import Encoder
        return Encoder(index.manifest["model"]["name"]).encode_queries(texts)

    qvec = _cached_query_vectors("scifact-train", queries, encode)
    qrels = [{row[d]: g for d, g in data.qrels[q].items() if d in row and g > 0} for q in qids]
    return Bench("scifact", ids, body, title, np.asarray(index.chunk_vectors, dtype=np.float32),
                 np.asarray(index.sentence_vectors, dtype=np.float32), np.asarray(index.sentence_ptr), qids, queries,
                 qvec, qrels)


def gold_bench(set_name: str, split: str = "tune") -> Bench:
    from qa.evaluation.goldsets import gold_set, open_gold_retriever, questions_in
    from qa.evaluation.runs import gold_qrels

    g = gold_set(set_name)
    retriever = open_gold_retriever(g)
    questions = [q for q in questions_in(g, split)]
    qrels_by_id = gold_qrels(retriever, questions)
    chunks = retriever.data.chunks
    ids = [c.chunk_id for c in chunks]
    row = {c: i for i, c in enumerate(ids)}
    docs = retriever.documents
    body = [tokenize(c.text) for c in chunks]
    title = [tokenize(" ".join(p for p in (docs[c.doc_id].title, c.section) if p) or "-") for c in chunks]
    kept = [q for q in questions if q.id in qrels_by_id]
    qids = [q.id for q in kept]
    queries = [q.question for q in kept]
    qvec = _cached_query_vectors(f"{set_name}-{split}", queries, retriever.encode_many)
    qrels = [{row[c]: g for c, g in qrels_by_id[q].items()} for q in qids]
    return Bench(f"{set_name}-{split}", ids, body, title, np.asarray(retriever.data.chunk_vectors, dtype=np.float32),
                 np.asarray(retriever.data.sentence_vectors, dtype=np.float32),
                 np.asarray(retriever.data.sentence_ptr), qids, queries, qvec, qrels)


# --- scoring --------------------------------------------------------------------------------------

def ndcg10(order: np.ndarray, rel: dict[int, int]) -> float:
    grades = sorted(rel.values(), reverse=True)[:10]
    ideal = sum(g / math.log2(r + 2) for r, g in enumerate(grades))
    if ideal == 0:
        return 0.0
    return sum(rel.get(int(d), 0) / math.log2(r + 2) for r, d in enumerate(order[:10])) / ideal


def top(scores: np.ndarray, k: int = DEPTH) -> np.ndarray:
    """Rows of the k best positive scores, best first, ties by row ascending (as BM25Index.top)."""
    cand = np.flatnonzero(scores > 0) if scores.min() >= 0 else np.arange(scores.size)
    if cand.size > k:
        cs = scores[cand]
        kth = np.partition(cs, cs.size - k)[cs.size - k]
        cand = cand[cs >= kth]
    order = np.lexsort((cand, -scores[cand]))
    return cand[order][:k]


class Lexical:
    """BM25 over body (+ title field) with optional RM3; weighted query scoring."""

    def __init__(self, bench: Bench, k1: float, b: float, title_weight: float = 0.0, title_mode: str = "sum"):
        self.bench = bench
        if title_weight and title_mode == "repeat":
            reps = int(title_weight)
            corpus = [t * reps + bd for t, bd in zip(bench.title, bench.body)]
            self.idx = build_bm25(corpus, BM25Params(k1=k1, b=b))
            self.tidx, self.tw = None, 0.0
        else:
            self.idx = build_bm25(bench.body, BM25Params(k1=k1, b=b))
            self.tidx = build_bm25([t or ["-"] for t in bench.title], BM25Params(k1=k1, b=b)) if title_weight else None
            self.tw = title_weight
        self.n = self.idx.size

    def weighted(self, terms: dict[str, float]) -> np.ndarray:
        s = np.zeros(self.n)
        for idx, w0 in ((self.idx, 1.0), (self.tidx, self.tw)):
            if idx is None:
                continue
            W = idx.weights
            for t, w in terms.items():
                r = idx.vocab.get(t)
                if r is None:
                    continue
                lo, hi = W.indptr[r], W.indptr[r + 1]
                s[W.indices[lo:hi]] += w0 * w * W.data[lo:hi]
        return s


def rm3_terms(query_terms: list[str], feedback: list[tuple[list[str], float]], n_terms: int, orig_weight: float,
              weight_by: str = "score") -> dict[str, float]:
    """RM3 (Abdul-Jaleel et al. 2004; Lavrenko & Croft 2001): the query model interpolated with RM1."""
    q = Counter(query_terms)
    qn = sum(q.values())
    qmodel = {t: c / qn for t, c in q.items()}
    total = sum(s for _, s in feedback)
    rm1: Counter = Counter()
    for terms, s in feedback:
        if not terms:
            continue
        wd = (s / total) if weight_by == "score" and total > 0 else 1.0 / len(feedback)
        for t, c in Counter(terms).items():
            rm1[t] += wd * c / len(terms)
    best = rm1.most_common(n_terms)
    z = sum(v for _, v in best) or 1.0
    out = {t: orig_weight * w for t, w in qmodel.items()}
    for t, v in best:
        out[t] = out.get(t, 0.0) + (1 - orig_weight) * v / z
    return out


def normalise(scores: np.ndarray, rows: np.ndarray, how: str) -> dict[int, float]:
    v = scores[rows]
    if how == "minmax":
        lo, hi = v.min(), v.max()
        n = np.ones_like(v) if hi == lo else (v - lo) / (hi - lo)
    elif how == "zscore":
        sd = v.std()
        n = np.zeros_like(v) if sd == 0 else (v - v.mean()) / sd
    else:
        raise ValueError(how)
    return dict(zip(rows.tolist(), n.tolist()))


def fuse(lex_s, lex_rows, den_s, den_rows, how: str, w: float, rrf_k: float = 60) -> np.ndarray:
    if how == "rrf":
        f: dict[int, float] = {}
        for rows in (lex_rows, den_rows):
            for r, d in enumerate(rows.tolist(), start=1):
                f[d] = f.get(d, 0.0) + 1.0 / (rrf_k + r)
    else:
        a = normalise(lex_s, lex_rows, how) if lex_rows.size else {}
        b = normalise(den_s, den_rows, how) if den_rows.size else {}
        floor_a = min(a.values()) if (a and how == "zscore") else 0.0
        floor_b = min(b.values()) if (b and how == "zscore") else 0.0
        keys = list(dict.fromkeys([*a, *b]))
        f = {k: (1 - w) * a.get(k, floor_a) + w * b.get(k, floor_b) for k in keys}
    keys = list(f)
    vals = np.array([f[k] for k in keys])
    order = np.argsort(-vals, kind="stable")
    return np.array(keys)[order]


# --- runs of the variants ----------------------------------------------------------------------

def lexical_runs(bench: Bench, lex: Lexical, rm3: tuple | None):
    """Per query (scores, top rows) of BM25, with RM3 when ``rm3 = (fb_docs, fb_terms, orig_weight)``."""
    out = []
    for qt in (tokenize(q) for q in bench.queries):
        base = dict(Counter(qt))
        s = lex.weighted(base)
        rows = top(s)
        if rm3 is not None and rows.size:
            fb_docs, fb_terms, ow = rm3
            fb = [(bench.body[r] + bench.title[r] if lex.tw else bench.body[r], float(s[r])) for r in rows[:fb_docs]]
            terms = rm3_terms(qt, fb, fb_terms, ow)
            s = lex.weighted(terms)
            rows = top(s)
        out.append((s, rows))
    return out


def dense_runs(bench: Bench, prf: tuple | None = None, lex_runs=None):
    """Per query (scores, top rows) of dense; with vector PRF ``(k, beta)`` (Rocchio on the top k)."""
    S = bench.qvectors @ bench.vectors.T
    out = []
    for i in range(len(bench.qids)):
        s = S[i]
        rows = top(s)
        if prf is not None:
            k, beta = prf
            src = rows if lex_runs is None else lex_runs[i][1]
            q = bench.qvectors[i] + beta * bench.vectors[src[:k]].mean(axis=0)
            q /= np.linalg.norm(q)
            s = bench.vectors @ q
            rows = top(s)
        out.append((s, rows))
    return out


def sentence_dense_runs(bench: Bench, gamma: float, how: str = "max"):
    """Dense passage score mixed with its sentences' best cosine: (1 - gamma) * passage + gamma * max."""
    S = bench.qvectors @ bench.vectors.T
    T = bench.qvectors @ bench.sentences.T
    ptr = bench.sent_ptr
    has = ptr[1:] > ptr[:-1]
    starts = ptr[:-1][has]
    out = []
    for i in range(len(bench.qids)):
        best = S[i].copy()
        if how == "max":
            best[has] = np.maximum.reduceat(T[i], starts)
        s = (1 - gamma) * S[i] + gamma * best
        out.append((s, top(s)))
    return out


def full_fuse(lex_s, lex_rows, den_s, den_rows, how: str, w: float) -> np.ndarray:
    """Convex fusion where every candidate of either list has both its true scores."""
    rows = np.array(list(dict.fromkeys([*lex_rows.tolist(), *den_rows.tolist()])))
    a, b = lex_s[rows], den_s[rows]
    if how == "minmax":
        na = (a - a.min()) / (a.max() - a.min() or 1)
        nb = (b - b.min()) / (b.max() - b.min() or 1)
    elif how == "zscore":
        na = (a - a.mean()) / (a.std() or 1)
        nb = (b - b.mean()) / (b.std() or 1)
    elif how == "tmm":  # theoretical min: 0 for BM25 and for cosine
        na = a / (a.max() or 1)
        nb = np.clip(b, 0, None) / (b.max() or 1)
    f = (1 - w) * na + w * nb
    return rows[np.argsort(-f, kind="stable")]


def idf_of(lex: Lexical) -> dict[str, float]:
    W = lex.idx.weights
    df = np.diff(W.indptr)
    n = lex.n
    return {t: math.log(1 + (n - df[r] + 0.5) / (df[r] + 0.5)) for t, r in lex.idx.vocab.items()}


def rm3_idf_terms(query_terms, feedback, n_terms, orig_weight, idf):
    q = Counter(query_terms)
    qn = sum(q.values())
    rm1: Counter = Counter()
    total = sum(s for _, s in feedback) or 1.0
    for terms, s in feedback:
        for t, c in Counter(terms).items():
            rm1[t] += (s / total) * c / len(terms) * idf.get(t, 0.0)
    best = rm1.most_common(n_terms)
    z = sum(v for _, v in best) or 1.0
    out = {t: orig_weight * c / qn for t, c in q.items()}
    for t, v in best:
        out[t] = out.get(t, 0.0) + (1 - orig_weight) * v / z
    return out


def pipeline(bench: Bench, lex: Lexical, gamma: float, fusion: str, w: float, full: bool,
             dprf: tuple | None = None, lprf: tuple | None = None, idf=None):
    """Orders per query of the whole hybrid pipeline with the given pieces."""
    dr = sentence_dense_runs(bench, gamma) if gamma else dense_runs(bench)
    lr = lexical_runs(bench, lex, None)
    orders = []
    for i, ((ls, lrows), (ds, drows)) in enumerate(zip(lr, dr)):
        f = full_fuse(ls, lrows, ds, drows, fusion, w) if full else fuse(ls, lrows, ds, drows, fusion, w)
        if dprf or lprf:
            if dprf:
                k, beta = dprf
                q = bench.qvectors[i] + beta * bench.vectors[f[:k]].mean(axis=0)
                q /= np.linalg.norm(q)
                if gamma:
                    T = bench.sentences @ q
                    ptr = bench.sent_ptr
                    has = ptr[1:] > ptr[:-1]
                    best = bench.vectors @ q
                    s2 = best.copy()
                    best[has] = np.maximum.reduceat(T, ptr[:-1][has])
                    ds = (1 - gamma) * s2 + gamma * best
                else:
                    ds = bench.vectors @ q
                drows = top(ds)
            if lprf:
                fd, ft, ow = lprf
                qt = tokenize(bench.queries[i])
                fb = [(bench.body[r], 1.0) for r in f[:fd]]
                terms = rm3_idf_terms(qt, fb, ft, ow, idf) if idf else rm3_terms(qt, fb, ft, ow)
                ls = lex.weighted(terms)
                lrows = top(ls)
            f = full_fuse(ls, lrows, ds, drows, fusion, w) if full else fuse(ls, lrows, ds, drows, fusion, w)
        orders.append(f)
    return per_query_ndcg(bench, orders)


def combo(bench: Bench, n: int, base_h) -> None:
    table = {"today": base_h}
    lexes = {"1.5/.75": Lexical(bench, 1.5, 0.75), "1.2/.6": Lexical(bench, 1.2, 0.6),
             "1.2/.6+t2": Lexical(bench, 1.2, 0.6, 2.0, "repeat"), "1.5/.75+t2": Lexical(bench, 1.5, 0.75, 2.0, "repeat")}
    idf = idf_of(lexes["1.5/.75"])
    for name, lex in lexes.items():
        for gamma in (0.0, 0.75):
            for fusion, w, full in (("minmax", 0.4, False), ("minmax", 0.5, True), ("zscore", 0.5, True)):
                key = (name, gamma, fusion, w, full)
                table[key] = pipeline(bench, lex, gamma, fusion, w, full)
                print(f"  {key}: {table[key].mean():.4f}", flush=True)
    report("combined", table, n, "today")
    lex = lexes["1.5/.75+t2"]
    t2 = {"today": base_h}
    for dprf in (None, (3, 0.5), (5, 0.5), (3, 1.0), (5, 1.0), (10, 1.0)):
        for lprf in (None, (3, 20, 0.7), (5, 20, 0.8), (3, 40, 0.9)):
            for use_idf in (False, True):
                if lprf is None and use_idf:
                    continue
                key = (dprf, lprf, use_idf)
                t2[key] = pipeline(bench, lex, 0.75, "zscore", 0.5, True, dprf, lprf, idf if use_idf else None)
                print(f"  hybrid prf {key}: {t2[key].mean():.4f}", flush=True)
    report("hybrid prf", t2, n, "today")


FINAL = {"A": ("1.5/.75+t2", 0.75, "minmax", 0.4, False), "B": ("1.5/.75+t2", 0.75, "minmax", 0.5, False),
         "C": ("1.2/.6+t2", 0.75, "minmax", 0.5, False), "D": ("1.5/.75+t2", 0.75, "zscore", 0.5, True)}


def final(bench: Bench, base_h) -> None:
    """Today's hybrid and the shortlisted combinations (for the reporting splits)."""
    lexes = {"1.5/.75+t2": Lexical(bench, 1.5, 0.75, 2.0, "repeat"), "1.2/.6+t2": Lexical(bench, 1.2, 0.6, 2.0, "repeat")}
    print(f"  today: {base_h.mean():.4f}")
    for name, (lex, gamma, fusion, w, full) in FINAL.items():
        arr = pipeline(bench, lexes[lex], gamma, fusion, w, full)
        print(f"  {name} {FINAL[name]}: {arr.mean():.4f} ({arr.mean() - base_h.mean():+.4f})", flush=True)


def tail_windows(bench: Bench, base_h, n: int) -> None:
    """MaxP over a second window: each abstract longer than the model's window also gets the vector
    of its text from the sentence holding its 200th word piece on (cached), and its dense score is
    the best of its windows' cosines (Dai and Callan, SIGIR 2019)."""
    from qa.retrieval.encoder import Encoder
    from qa.retrieval.store import load_index

    index = load_index(CACHE / "beir-scifact")
    encoder = Encoder(index.manifest["model"]["name"])
    path, meta = CACHE / "cv-scifact-tails.npy", CACHE / "cv-scifact-tails.json"
    counts = encoder.count_tokens([c.text for c in index.chunks])
    rows, texts = [], []
    for i, (c, k) in enumerate(zip(index.chunks, counts)):
        if k <= 256:
            continue
        cut = len(c.text) * 200 // k  # about the 200th word piece
        starts = [a - c.start for a, _ in c.sentences if a - c.start <= cut] or [0]
        rows.append(i)
        texts.append(c.text[starts[-1]:])
    if path.exists() and meta.exists() and json.loads(meta.read_text()) == rows:
        tails = np.load(path)
    else:
        print(f"encoding {len(texts)} second windows", flush=True)
        tails = np.asarray(encoder.encode_queries(texts), dtype=np.float32)
        np.save(path, tails)
        meta.write_text(json.dumps(rows))
    rows = np.array(rows)
    S = bench.qvectors @ bench.vectors.T
    T = bench.qvectors @ tails.T
    lex = Lexical(bench, 1.2, 0.6, 2.0, "repeat")
    lr = lexical_runs(bench, lex, None)
    table = {"today": base_h}
    for how in ("max", "mean"):
        druns = []
        for i in range(len(bench.qids)):
            s = S[i].copy()
            s[rows] = np.maximum(s[rows], T[i]) if how == "max" else (s[rows] + T[i]) / 2
            druns.append((s, top(s)))
        d = per_query_ndcg(bench, [r for _, r in druns])
        for w in (0.4, 0.5, 0.6):
            table[(how, w)] = hybrid_scores(bench, lr, druns, "minmax", w)
            print(f"  second window {how}: dense {d.mean():.4f} hybrid (C's BM25, min-max {w}) {table[(how, w)].mean():.4f}",
                  flush=True)
    report("second window", table, n, "today")


def candidates(bench: Bench, n: int, base_h) -> None:
    """The settings that won on SciFact, one by one and together (for the gold sets' tuning splits)."""
    table = {"today": base_h}
    lexes = {"1.5/.75": Lexical(bench, 1.5, 0.75), "1.2/.6": Lexical(bench, 1.2, 0.6),
             "1.5/.75+t2": Lexical(bench, 1.5, 0.75, 2.0, "repeat"), "1.2/.6+t2": Lexical(bench, 1.2, 0.6, 2.0, "repeat"),
             "1.5/.75+t1": Lexical(bench, 1.5, 0.75, 1.0, "repeat")}
    for name, lex in lexes.items():
        for gamma in (0.0, 0.5, 0.75):
            for fusion, w, full in (("minmax", 0.4, False), ("minmax", 0.4, True), ("minmax", 0.5, True),
                                    ("zscore", 0.4, True), ("zscore", 0.5, True), ("minmax", 0.5, False)):
                key = (name, gamma, fusion, w, full)
                table[key] = pipeline(bench, lex, gamma, fusion, w, full)
                print(f"  {key}: {table[key].mean():.4f}", flush=True)
    report("candidates", table, n, "today")


def per_query_ndcg(bench: Bench, orders) -> np.ndarray:
    return np.array([ndcg10(o, rel) for o, rel in zip(orders, bench.qrels)])


def hybrid_scores(bench, lruns, druns, how, w, rrf_k=60):
    return per_query_ndcg(bench, [fuse(ls, lr, ds, dr, how, w, rrf_k) for (ls, lr), (ds, dr) in zip(lruns, druns)])


def folds(n: int, k: int = 5, seed: int = 22) -> list[np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i::k] for i in range(k)]


def cross_validate(table: dict, n: int) -> tuple[float, list]:
    """table: {setting: per-query array}. Mean over held-out folds of the setting best on the rest."""
    fs = folds(n)
    chosen, held = [], []
    for i, test in enumerate(fs):
        train = np.concatenate([f for j, f in enumerate(fs) if j != i])
        best = max(table, key=lambda s: table[s][train].mean())
        chosen.append(best)
        held.append(table[best][test].mean())
    return float(np.mean(held)), chosen


def report(label: str, table: dict, n: int, fixed=None) -> None:
    cv, chosen = cross_validate(table, n)
    best = max(table, key=lambda s: table[s].mean())
    extra = f"  fixed {fixed}={table[fixed].mean():.4f}" if fixed is not None and fixed in table else ""
    print(f"{label:28s} cv {cv:.4f}  best-in-sample {table[best].mean():.4f} at {best}  "
          f"chosen {sorted(set(map(str, chosen)))}{extra}", flush=True)


def main(which: str, stages: str = "all") -> None:
    t0 = time.time()
    name, _, split = which.partition(":")
    bench = scifact_bench() if name == "scifact" else gold_bench(name, split or "tune")
    n = len(bench.qids)
    print(f"{bench.name}: {len(bench.ids)} passages, {n} judged queries ({time.time() - t0:.0f}s)", flush=True)
    results: dict = {}

    def record(key, arr):
        results[str(key)] = float(arr.mean())
        return arr

    lex0 = Lexical(bench, 1.5, 0.75)
    l0 = lexical_runs(bench, lex0, None)
    d0 = dense_runs(bench)
    base_b = per_query_ndcg(bench, [r for _, r in l0])
    base_d = per_query_ndcg(bench, [r for _, r in d0])
    base_h = hybrid_scores(bench, l0, d0, "minmax", 0.4)
    print(f"today: bm25 {base_b.mean():.4f} dense {base_d.mean():.4f} hybrid {base_h.mean():.4f}", flush=True)

    if stages in ("all", "fusion"):
        table = {}
        for w in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            table[("minmax", w)] = hybrid_scores(bench, l0, d0, "minmax", w)
            table[("zscore", w)] = hybrid_scores(bench, l0, d0, "zscore", w)
        for k in (10, 20, 40, 60, 100):
            table[("rrf", k)] = hybrid_scores(bench, l0, d0, "rrf", 0, k)
        for key, arr in table.items():
            print(f"  fusion {key}: {arr.mean():.4f}")
        report("fusion (bm25 1.5/0.75)", table, n, ("minmax", 0.4))

    if stages in ("all", "bm25"):
        table, htable = {}, {}
        for k1, b in itertools.product((0.6, 0.9, 1.2, 1.5, 2.0), (0.4, 0.6, 0.75, 0.9, 1.0)):
            lex = Lexical(bench, k1, b)
            lr = lexical_runs(bench, lex, None)
            table[(k1, b)] = per_query_ndcg(bench, [r for _, r in lr])
            htable[(k1, b)] = hybrid_scores(bench, lr, d0, "minmax", 0.4)
            print(f"  bm25 k1={k1} b={b}: bm25 {table[(k1, b)].mean():.4f} hybrid {htable[(k1, b)].mean():.4f}",
                  flush=True)
        report("bm25 k1/b (bm25)", table, n, (1.5, 0.75))
        report("bm25 k1/b (hybrid)", htable, n, (1.5, 0.75))

    if stages in ("all", "title"):
        table, htable = {}, {}
        for tw, mode in ((0.0, "sum"), (0.25, "sum"), (0.5, "sum"), (1.0, "sum"), (2.0, "repeat"), (3.0, "repeat")):
            lex = Lexical(bench, 1.5, 0.75, tw, mode)
            lr = lexical_runs(bench, lex, None)
            table[(tw, mode)] = per_query_ndcg(bench, [r for _, r in lr])
            htable[(tw, mode)] = hybrid_scores(bench, lr, d0, "minmax", 0.4)
            print(f"  title {tw} {mode}: bm25 {table[(tw, mode)].mean():.4f} hybrid {htable[(tw, mode)].mean():.4f}",
                  flush=True)
        report("title field (bm25)", table, n, (0.0, "sum"))
        report("title field (hybrid)", htable, n, (0.0, "sum"))

    if stages in ("all", "rm3"):
        table, htable = {(0, 0, 1.0): base_b}, {(0, 0, 1.0): base_h}
        for fd, ft, ow in itertools.product((3, 5, 10), (10, 20, 40), (0.3, 0.5, 0.7)):
            lr = lexical_runs(bench, lex0, (fd, ft, ow))
            table[(fd, ft, ow)] = per_query_ndcg(bench, [r for _, r in lr])
            htable[(fd, ft, ow)] = hybrid_scores(bench, lr, d0, "minmax", 0.4)
            print(f"  rm3 {fd},{ft},{ow}: bm25 {table[(fd, ft, ow)].mean():.4f} hybrid {htable[(fd, ft, ow)].mean():.4f}",
                  flush=True)
        report("rm3 (bm25)", table, n, (0, 0, 1.0))
        report("rm3 (hybrid)", htable, n, (0, 0, 1.0))

    if stages in ("all", "dprf"):
        htable, dtable = {(0, 0.0): base_h}, {(0, 0.0): base_d}
        for k, beta in itertools.product((3, 5, 10), (0.25, 0.5, 1.0)):
            dr = dense_runs(bench, (k, beta))
            dtable[(k, beta)] = per_query_ndcg(bench, [r for _, r in dr])
            htable[(k, beta)] = hybrid_scores(bench, l0, dr, "minmax", 0.4)
            print(f"  dense prf {k},{beta}: dense {dtable[(k, beta)].mean():.4f} hybrid {htable[(k, beta)].mean():.4f}",
                  flush=True)
        report("dense prf (dense)", dtable, n, (0, 0.0))
        report("dense prf (hybrid)", htable, n, (0, 0.0))
    if stages in ("all", "more"):
        table = {}
        for how in ("minmax", "zscore", "tmm"):
            for w in (0.3, 0.4, 0.5, 0.6):
                table[("full", how, w)] = per_query_ndcg(bench, [full_fuse(ls, lr, ds, dr, how, w)
                                                                 for (ls, lr), (ds, dr) in zip(l0, d0)])
                print(f"  full-score fusion {how} {w}: {table[('full', how, w)].mean():.4f}", flush=True)
        table[("minmax", 0.4)] = base_h
        report("full-score fusion", table, n, ("minmax", 0.4))
        dtable, htable = {0.0: base_d}, {0.0: base_h}
        for g in (0.25, 0.5, 0.75, 1.0):
            dr = sentence_dense_runs(bench, g)
            dtable[g] = per_query_ndcg(bench, [r for _, r in dr])
            htable[g] = hybrid_scores(bench, l0, dr, "minmax", 0.4)
            print(f"  sentence max gamma {g}: dense {dtable[g].mean():.4f} hybrid {htable[g].mean():.4f}", flush=True)
        report("sentence max (dense)", dtable, n, 0.0)
        report("sentence max (hybrid)", htable, n, 0.0)
    if stages == "tail" and name == "scifact":
        tail_windows(bench, base_h, n)
    if stages == "final":
        final(bench, base_h)
    if stages == "cand":
        candidates(bench, n, base_h)
    if stages in ("all", "combo"):
        combo(bench, n, base_h)
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "scifact", sys.argv[2] if len(sys.argv) > 2 else "all")
