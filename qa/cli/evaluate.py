"""The ``qa eval`` and ``qa bench`` sub-commands (thin handlers)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from qa.cli.common import add_common, add_scoring_options, beir_backend, beir_index_dir, progress_bar
from qa.cli.compare import add_compare_options, cmd_eval_runs, wants_runs
from qa.cli.gold import _modes, cmd_eval_gold


def add_parsers(sub) -> None:
    """Register ``eval`` and ``bench``."""
    p = sub.add_parser("eval", help="retrieval and answer metrics on the gold sets or a BEIR dataset")
    add_common(p)
    p.set_defaults(corpus=None)   # here --corpus goes with --questions only
    p.add_argument("--set", default=None,
                   help="gold set: home (corpus/ in --index), real (eval/corpus-real) or all (default)")
    p.add_argument("--questions", default=None,
                   help="another gold JSONL file (default $QA_GOLD), over --index, or over --corpus DIR "
                        "indexed into --index if given, else eval/cache/gold-NAME")
    p.add_argument("--split", default=None,
                   help="gold: tune, report or all, comma-separated (default report,tune, side by side); "
                        "BEIR: the qrels split (default test)")
    p.add_argument("--modes", default="bm25,dense,hybrid,rerank",
                   help="retrieval modes, comma-separated (rerank: hybrid re-ranked by the sentence scorer)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--beir", default=None, help="a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/)")
    p.add_argument("--report", default=None, help="write report.md, metrics.json and charts here")
    p.add_argument("--sweep", action="store_true", help="grid-search fusion and abstention on the tuning split")
    p.add_argument("--stage", choices=("reader", "linear"), default="reader",
                   help="answer stage: the trained reader (default) or the earlier linear sentence scorer")
    add_scoring_options(p, "BEIR: ")
    p.add_argument("--title-weight", type=int, default=None,
                   help="BEIR: times each document's title joins its BM25 terms (rebuilds BM25, keeps the vectors)")
    add_compare_options(p)

    p = sub.add_parser("bench", help="speed and memory at given corpus sizes (synthetic corpora)")
    p.add_argument("--sizes", default="1000,100000", help="comma-separated passage counts")
    p.add_argument("--queries", type=int, default=50, help="queries per measurement")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", default=None, help="also write the JSON to this file")
    p.add_argument("--backend", choices=("embedded", "milvus"), default=None,
                   help="milvus: also the embedded back end beside Milvus Lite at each size")
    p.add_argument("--real", action="store_true",
                   help="also time qa ask on real passages and embeddings at the largest size (cached)")
    p.add_argument("--scifact", default="../shared/data/scifact",
                   help="the SciFact folder (--real; --ingest: whose titles and sentences make the corpus)")
    p.add_argument("--corpus", default="corpus", help="the home corpus (start-up index; --real passages)")
    p.add_argument("--pdfs", action="append", default=None,
                   help="more document folders for --real (repeatable; default ../shared/corpus-real)")
    p.add_argument("--real-cache", default="eval/cache/bench-real", help="where --real keeps its vectors")
    p.add_argument("--real-budget", type=float, default=None,
                   help="seconds of encoding --real may spend on passages not cached yet (default: no limit)")
    p.add_argument("--ingest", default=None, metavar="N[,N...]",
                   help="instead: time and peak memory of indexing a synthetic TREC-COVID-like BEIR corpus of "
                        "N documents, and of N/10 (or of each count given), each in a child process")
    p.add_argument("--ingest-cache", default="eval/cache/bench-ingest", help="where --ingest keeps its corpora")
    p.add_argument("--ingest-encoder", choices=("model", "hashed"), default="model",
                   help="--ingest: the embedding model (default), or hashed bags of words (all but the model)")
    p.add_argument("--threads", type=int, default=None,
                   help="--ingest: threads for torch, faiss and ONNX Runtime (default: each library's choice)")


def _progress():
    return progress_bar()[0]


def cmd_eval(args) -> int:
    if wants_runs(args):
        return cmd_eval_runs(args)
    if args.beir:
        return _eval_beir(args)
    return cmd_eval_gold(args)


def _eval_beir(args) -> int:
    from qa.evaluation.beir_run import run_beir
    from qa.retrieval.encoder import Encoder
    from qa.retrieval.retriever import SearchSettings
    from qa.tuning import DEFAULT_FUSION

    folder = Path(args.beir)
    split = args.split or "test"
    index = beir_index_dir(args, folder)
    encoder = Encoder(args.model)
    backend = beir_backend(args, folder, index)
    given = {key: getattr(args, key, None) for key in ("dense_weight", "normalisation", "fill_scores", "sentence_weight")}
    base = replace(SearchSettings(**DEFAULT_FUSION), **{k: v for k, v in given.items() if v is not None})
    run_dir = Path(args.report) / "runs" if args.report else index / "runs"
    if args.sweep:
        return _sweep_beir(folder, split, index, encoder, args)
    result = run_beir(folder, split, index, encoder, _modes(args), base, run_dir, progress=_progress(), backend=backend,
                      title_weight=args.title_weight)
    out = {"dataset": result.dataset, "split": split, "queries": result.queries, "modes": result.modes,
           "backend": backend.name}
    if args.report:
        from qa.evaluation.gold import EvalResult
        from qa.evaluation.report import write_report

        write_report(Path(args.report), EvalResult(summary={"modes": result.modes}),
                     f"BEIR {result.dataset}, {split} split ({result.queries} queries)",
                     {"dataset": result.dataset, "split": split, "queries": result.queries})
    if args.json:
        print(json.dumps(out))
    else:
        from qa.evaluation.report import metrics_table

        print(f"{result.dataset} {split}: {result.queries} queries; TREC runs in {run_dir}\n")
        print(metrics_table(result.modes))
    return 0


def _sweep_beir(folder, split, index, encoder, args) -> int:
    from qa.evaluation.beir import load_beir
    from qa.evaluation.beir_run import beir_index
    from qa.evaluation.sweep import sweep_fusion

    data = load_beir(folder, split, with_corpus=False)  # the index reads the corpus itself
    retriever = beir_index(folder, index, encoder, _progress(), beir_backend(args, folder, index))
    points = sweep_fusion(retriever, data.queries, data.qrels, key="doc")
    if args.json:
        print(json.dumps({"dataset": folder.name, "split": split,
                          "fusion": [{"setting": p.setting, "ndcg@10": round(p.score, 4)} for p in points]}))
    else:
        for p in points:
            print(f"{json.dumps(p.setting):50s} hybrid ndcg@10 {p.score:.4f}")
    return 0


def cmd_bench(args) -> int:
    if args.ingest:
        from qa.evaluation.bench_ingest_report import cmd_bench_ingest

        return cmd_bench_ingest(args)
    from qa.evaluation.bench_report import cmd_bench as run

    if args.backend == "milvus":
        from qa.evaluation.bench_milvus import bench_backends, print_backends

        return run(args, bench_backends, print_backends)
    return run(args)


HANDLERS = {"eval": cmd_eval, "bench": cmd_bench}
