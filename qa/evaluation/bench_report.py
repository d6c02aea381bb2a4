"""``qa bench``'s targets and its output: one JSON object, or a few readable lines."""

from __future__ import annotations

import json
from pathlib import Path

from qa.types import SettingsError

TARGETS = {"bm25_speedup": 50.0, "ask_over_encode": 1.5, "ingest_ratio": 0.85, "startup_speedup": 4.0,
           "ask_peak_rss_mb": 300.0, "ask_over_torch_encode": 0.8, "batch_questions_per_s": 5.0}


def add_targets(out: dict) -> None:
    """``out["targets"]``: each target with the figure measured in this run and whether it is met."""
    big_b, big_q, start = out["bm25"][-1], out["query"][-1], out["startup"]
    warm = out.get("real", big_q)  # real embeddings when measured, else the synthetic mix
    rows = {
        "bm25_speedup": (big_b["speedup"], big_b["speedup"] >= TARGETS["bm25_speedup"] and big_b["top10_identical"]),
        "ask_over_encode": (big_q["ask_over_encode_p50"], big_q["ask_over_encode_p50"] <= TARGETS["ask_over_encode"]),
        "ingest_ratio": (out["ingest"]["ratio"], out["ingest"]["ratio"] >= TARGETS["ingest_ratio"]),
        "startup_speedup": (start["speedup_vs_torch"], start["speedup_vs_torch"] >= TARGETS["startup_speedup"]),
        "ask_peak_rss_mb": (start["ask_onnx"]["peak_rss_mb"],
                            (start["ask_onnx"]["peak_rss_mb"] or 1e9) < TARGETS["ask_peak_rss_mb"]),
    }
    if "batch" in start:
        qps = start["batch"]["questions_per_s"]
        rows["batch_questions_per_s"] = (qps, qps >= TARGETS["batch_questions_per_s"] and start["batch"]["same_answers"])
    if "ask_over_torch_encode_p50" in warm:
        ratio = warm["ask_over_torch_encode_p50"]
        rows["ask_over_torch_encode"] = (ratio, ratio < TARGETS["ask_over_torch_encode"])
    out["targets"] = {name: {"target": TARGETS[name], "measured": measured, "met": bool(met)}
                      for name, (measured, met) in rows.items()}
    out["targets"]["bm25_speedup"]["passages"] = big_b["passages"]
    if "ask_over_torch_encode" in rows:
        out["targets"]["ask_over_torch_encode"].update(passages=warm["passages"],
                                                       embeddings="real" if "real" in out else "synthetic mix")


def cmd_bench(args, extra=None, show_extra=None) -> int:
    """Run the benchmark and print JSON or a table (``show_extra`` prints ``extra``'s rows)."""
    from qa.evaluation.bench import run_bench

    sizes = [int(s) if s.strip().isdigit() else 0 for s in str(args.sizes).split(",") if s.strip()]
    if not sizes or min(sizes) < 20:
        raise SettingsError("--sizes takes passage counts of at least 20, e.g. 1000,100000")
    real = None
    if getattr(args, "real", False):
        scifact = Path(args.scifact)
        if not (scifact / "corpus.jsonl").is_file():
            raise SettingsError(f"--scifact: {scifact / 'corpus.jsonl'} not found")
        folders = [Path(args.corpus), *[Path(f) for f in (args.pdfs or ["../shared/corpus-real"])]]
        real = {"scifact": scifact, "folders": folders,
                "cache": Path(args.real_cache), "budget_s": args.real_budget, "progress": _progress()}
    result = run_bench(sizes, args.queries, corpus_dir=Path(getattr(args, "corpus", "corpus")), extra=extra, real=real)
    add_targets(result)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(result))
        return 0
    print_result(result)
    return show_extra(result["backends"]) or 0 if show_extra else 0


def _progress():
    from tqdm import tqdm
    import sys

    bar = tqdm(desc="real passages encoded or read", unit="passage", file=sys.stderr, disable=None)

    def update(n: int, total: int) -> None:
        bar.total = total
        bar.update(n - bar.n)

    return update


def print_result(result: dict) -> None:
    """The run as readable lines."""
    for b in result["bm25"]:
        print(f"bm25 @ {b['passages']:>7}: ours {b['ours_ms']} ms, rank-bm25 {b['rank_bm25_ms']} ms, "
              f"x{b['speedup']}, identical top-10: {b['top10_identical']}")
    for q in [*result["query"], *([result["real"]] if "real" in result else [])]:
        s = q["stages_ms"]
        kind = "real" if "vectors" in q else "mix "
        torch = q.get("torch_encode_ms", {}).get("p50")
        print(f"ask  @ {q['passages']:>7} ({kind}): total p50 {s['total']['p50']} ms (encode {s['encode']['p50']}, "
              f"bm25 {s['bm25']['p50']}, dense {s['dense']['p50']}, fuse {s['fuse']['p50']}, answer "
              f"{s['answer']['p50']} of which rerank {s.get('rerank', {}).get('p50')}, reader {s.get('reader', {}).get('p50')}, sentence scorer {s.get('sentences', {}).get('p50')}); bare torch encode p50 {torch} ms; ratio {q.get('ask_over_torch_encode_p50')}")
    i = result["ingest"]
    print(f"ingest: {i['ours_chunks_per_s']} chunks/s ({i['ours_backend']}), bare {i['bare_encode']} "
          f"{i['bare_encode_chunks_per_s']}, ratio {i['ratio']}")
    st = result["startup"]
    print(f"fresh qa ask: {st['ask_onnx']['seconds_p50']} s, {st['ask_onnx']['peak_rss_mb']} MB (ONNX); "
          f"{st['ask_torch']['seconds_p50']} s, {st['ask_torch']['peak_rss_mb']} MB (torch); python -c 'import numpy' "
          f"{st['numpy_import']['seconds_p50']} s, {st['numpy_import']['peak_rss_mb']} MB")
    if "batch" in st:
        b = st["batch"]
        print(f"qa ask --questions ({b['questions']} questions): " + ", ".join(
            f"{w} worker(s) {v['questions_per_s']} q/s ({v['peak_rss_mb']} MB)" for w, v in b["workers"].items())
              + f"; speed-up {b['speedup']}; same answers: {b['same_answers']}")
    for name, t in result["targets"].items():
        print(f"target {name}: {t['measured']} vs {t['target']} -> {'met' if t['met'] else 'MISSED'}")
