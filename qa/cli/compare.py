"""``qa eval --compare`` and TREC runs in and out (``--run``, ``--qrels``, ``--run-out``): thin handlers.

Runs come from the retrieval modes (``--modes``), extra hybrid fusion settings (``--hybrid``) and
TREC run files made anywhere (``--run``), on one gold set (``--set``, default home;
``--questions``) or a BEIR folder (``--beir``); with ``--qrels FILE`` only the ``--run`` files
are scored, against those judgements, and no index is opened. Gold-set runs rank passages
(chunk ids) and are judged by overlap with the evidence quotes; BEIR runs rank documents.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from qa.evaluation.metrics import DEFAULT_METRICS
from qa.types import SettingsError


def add_compare_options(p: argparse.ArgumentParser) -> None:
    """The comparison and TREC options of ``qa eval``."""
    p.add_argument("--compare", action="store_true",
                   help="compare the runs (modes, --hybrid settings, --run files) per query, with paired "
                        "t-tests and Fisher's randomisation tests against --baseline")
    p.add_argument("--run", action="append", default=[], metavar="[NAME=]FILE",
                   help="a TREC run file (qid Q0 docid rank score tag) to score or compare (repeatable)")
    p.add_argument("--qrels", default=None, metavar="FILE",
                   help="TREC qrels (qid 0 docid grade): score only the --run files against them, no index")
    p.add_argument("--run-out", default=None, metavar="DIR",
                   help="write each run as DIR/NAME.trec and the judgements as DIR/qrels.txt (TREC formats)")
    p.add_argument("--hybrid", action="append", default=[], metavar="SETTING",
                   help="one more hybrid run with this fusion: rrf:K or convex:WEIGHT (repeatable)")
    p.add_argument("--baseline", default=None, help="the run the others are tested against (default: the first)")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated trec_eval-style metrics")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level, after Holm's correction")
    p.add_argument("--permutations", type=int, default=10_000, help="randomisation test: permutations at most")
    p.add_argument("--seed", type=int, default=42, help="randomisation test: the random seed")


def wants_runs(args) -> bool:
    """Whether ``qa eval`` was asked to compare, read or write runs (then ``cmd_eval_runs`` handles it)."""
    return bool(args.compare or args.run or args.qrels or args.run_out)


def cmd_eval_runs(args) -> int:
    """Score or compare the runs the options name; write them with ``--run-out``."""
    from qa.evaluation.metrics import evaluate_run, parse_metric

    if args.sweep:
        raise SettingsError("--sweep tunes settings; it does not go with --compare, --run, --qrels or --run-out")
    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    try:
        for m in metrics or ("",):
            parse_metric(m)
    except ValueError as exc:
        raise SettingsError(f"--metrics: {exc}") from None
    label, runs, qrels = _gather(args)
    runs = {**runs, **_read_runs(args.run, set(runs))}
    if not runs:
        raise SettingsError("no run to score: give --run FILE (with --qrels) or retrieval --modes")
    if args.run_out:
        _write_runs(Path(args.run_out), runs, qrels)
    if not args.compare:
        scores = {name: evaluate_run(run, qrels, metrics) for name, run in runs.items()}
        if args.json:
            print(json.dumps({"source": label, "queries": _judged(qrels), "runs": scores}))
        else:
            from qa.evaluation.report import metrics_table

            table = metrics_table(scores).replace("| mode |", "| run |")
            print(f"{label}: {_judged(qrels)} judged queries\n\n{table}")
        return 0
    from qa.evaluation.compare import compare_runs
    from qa.evaluation.compare_report import comparison_markdown, write_comparison

    c = compare_runs(runs, qrels, metrics, baseline=args.baseline, alpha=args.alpha,
                     permutations=args.permutations, seed=args.seed)
    title = f"Runs compared: {label}"
    if args.report:
        paths = write_comparison(Path(args.report), c, title)
        print(f"wrote {len(paths)} files to {args.report} (compare.md, compare.json, charts)", file=sys.stderr)
    if args.json:
        print(json.dumps({"source": label, **c.to_json()}))
    else:
        print(comparison_markdown(c, title))
    return 0


def _judged(qrels) -> int:
    return sum(1 for judged in qrels.values() if any(g > 0 for g in judged.values()))


def _gather(args) -> tuple[str, dict, dict]:
    """(what was evaluated, ``{name: run}`` of the retrieval settings, qrels)."""
    if args.qrels:
        from qa.evaluation.trec import read_trec_qrels

        if args.beir or args.questions or args.set or args.hybrid:
            raise SettingsError("--qrels scores --run files alone: leave out --beir, --set, --questions and --hybrid")
        return f"qrels {args.qrels}", {}, read_trec_qrels(Path(args.qrels))
    from qa.cli.gold import _modes
    from qa.evaluation.runs import run_settings
    from qa.retrieval.retriever import SearchSettings

    settings = run_settings(_modes(args), args.hybrid, SearchSettings())
    if args.beir:
        return _beir_runs(args, settings)
    return _gold_runs(args, settings)


def _beir_runs(args, settings) -> tuple[str, dict, dict]:
    from qa.cli.common import progress_bar
    from qa.cli.common import beir_backend, beir_index_dir
    from qa.evaluation.beir import load_beir
    from qa.evaluation.beir_run import beir_index
    from qa.evaluation.runs import retrieval_runs
    from qa.retrieval.encoder import Encoder

    folder, split = Path(args.beir), args.split or "test"
    index = beir_index_dir(args, folder)
    data = load_beir(folder, split, with_corpus=False)  # the index reads the corpus itself
    bar = progress_bar()[0]
    retriever = beir_index(folder, index, Encoder(args.model), bar, beir_backend(args, folder, index))
    runs = retrieval_runs(retriever, data.queries, settings, key="doc", progress=bar)
    return f"BEIR {folder.resolve().name}, {split} split", runs, data.qrels


def _gold_runs(args, settings) -> tuple[str, dict, dict]:
    from qa.cli.common import progress_bar
    from qa.cli.gold import chosen, retriever_for
    from qa.evaluation.goldsets import chosen_splits, split_questions
    from qa.evaluation.runs import gold_runs

    if not (args.set or args.questions or os.environ.get("QA_GOLD")):
        args = argparse.Namespace(**{**vars(args), "set": "home"})   # one set: home unless named
    sets = chosen(args)
    if len(sets) != 1:
        raise SettingsError("runs are compared on one gold set: give --set home or --set real")
    g = sets[0]
    by_split = split_questions(g, chosen_splits(args.split or "report"))
    questions = [q for qs in by_split.values() for q in qs]
    runs, qrels = gold_runs(retriever_for(g, args), questions, settings, progress=progress_bar()[0])
    return f"gold set {g.name}, {'+'.join(by_split)} split ({len(questions)} questions)", runs, qrels


def _read_runs(specs: list[str], taken: set[str]) -> dict[str, dict]:
    """``{name: run}`` of ``--run [NAME=]FILE`` options; NAME defaults to the file's stem."""
    from qa.evaluation.trec import read_trec_run

    out: dict[str, dict] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = Path(spec).stem, spec
        if not name or name in taken or name in out:
            raise SettingsError(f"--run {spec}: the run name {name!r} is empty or already taken; "
                                f"name it with --run NAME=FILE")
        out[name] = read_trec_run(Path(path))
    return out


def _write_runs(folder: Path, runs: dict, qrels: dict) -> None:
    from qa.evaluation.trec import write_trec_qrels, write_trec_run

    folder.mkdir(parents=True, exist_ok=True)
    for name, run in runs.items():
        safe = re.sub(r"[^\w.+-]", "_", name)
        write_trec_run(folder / f"{safe}.trec", run, tag=f"qa-{safe}")
    write_trec_qrels(folder / "qrels.txt", qrels)
    print(f"wrote {len(runs)} runs and qrels.txt to {folder}", file=sys.stderr)
