"""The ``qa fit-answers`` sub-command: refit the answer stage on the gold sets' tuning questions:
the reader's calibration (calibration.json), or with ``--linear`` the earlier sentence scorer."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parsers(sub) -> None:
    p = sub.add_parser("fit-answers", help="fit the answer model (answer_model.json) on the tuning questions")
    p.add_argument("--sets", default="home,real", help="gold sets to fit on, comma-separated (default: home,real)")
    p.add_argument("--out", default=None, help="where to write the model (default: the packaged answer_model.json)")
    p.add_argument("--cache", default="eval/cache", help="folder for the cached candidate features")
    p.add_argument("--report", action="store_true",
                   help="also print figures per set and split (tuning out-of-fold; reporting with the new model)")
    p.add_argument("--dry-run", action="store_true", help="fit and report but write nothing")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-rerank", action="store_true",
                   help="do not try reordering the passages by the sentence scorer before reading (faster to fit)")
    p.add_argument("--scorer-folds", default=None, metavar="DIR",
                   help="judge each tuning question with the sentence scorer of DIR/foldN trained without its "
                        "fold (needed when the scorer was trained on the tuning questions; eval/indomain_cv.py)")
    p.add_argument("--linear", action="store_true",
                   help="refit the earlier linear sentence scorer (answer_model.json) instead of the reader's calibration")


def tuning_questions(names: list[str]) -> dict[str, list]:
    """Each named gold set's tuning questions."""
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set

    return {n: [q for q in load_gold(gold_set(n).questions) if q.split == "tune"] for n in names}


def read_and_fit(tuning: dict[str, list], scorer, cache: Path | None, rerank: bool = True):
    """The calibration fit on ``tuning`` (set -> questions) read with the shipped reader and
    ``scorer`` (rows cached in ``cache``): (Calibration, what was tried)."""
    from qa.evaluation.calibrate import RERANKS, WINDOWS, collect_reads, fit_calibration
    from qa.evaluation.goldsets import gold_set, open_gold_retriever
    from qa.reader.model import load_reader

    reader = load_reader()
    by_window: dict[int, list] = {w: [] for w in WINDOWS}
    for name, tune in tuning.items():
        retriever = open_gold_retriever(gold_set(name))
        for window in WINDOWS:
            print(f"reading the {name} gold set's tuning questions (windows of {window})", file=sys.stderr)
            by_window[window] += collect_reads(name, retriever, reader, tune, cache, window, scorer=scorer,
                                              reranks=RERANKS if rerank else ())
    return fit_calibration(by_window)


def cmd_fit_calibration(args) -> int:
    from qa.answers.calibration import CALIBRATION_PATH
    from qa.evaluation.scorer_folds import FoldScorer
    from qa.reader.sentences import load_scorer

    scorer = load_scorer()
    tuning = tuning_questions([s.strip() for s in args.sets.split(",") if s.strip()])
    if args.scorer_folds:
        try:
            scorer = FoldScorer.load(Path(args.scorer_folds), tuning)
        except (OSError, ValueError) as exc:
            print(f"qa: {exc}", file=sys.stderr)
            return 2
    elif scorer.card.get("tuning_groups"):
        print(f"qa: the sentence scorer {scorer.path} was trained on the tuning questions (its card's "
              "tuning_groups): a fit on its own logits would flatter it. Pass --scorer-folds DIR, the "
              "models trained without each fold (python eval/indomain_cv.py trains them)", file=sys.stderr)
        return 2
    cal, about = read_and_fit(tuning, scorer, Path(args.cache) if args.cache else None, not args.no_rerank)
    out = Path(args.out) if args.out else CALIBRATION_PATH
    if not args.dry_run:
        out.write_text(json.dumps(cal.to_json(), indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps({"calibration": str(out), "written": not args.dry_run, "about": about}, indent=1))
        return 0
    print(f"{'wrote' if not args.dry_run else 'fitted (not written)'} {out}: passages={cal.passages}, "
          f"window={cal.window}, rank_weight={cal.rank_weight}, scorer_weight={cal.scorer_weight}"
          f"{' (every sentence)' if cal.every_sentence else ''}, rerank={cal.rerank.to_json() if cal.rerank.depth else 'none'}, "
          f"threshold={cal.threshold}, tuning hit {about['hit_answerable_mean_of_sets']}, "
          f"out-of-fold log loss {about['oof_log_loss']}")
    return 0


def cmd_fit_answers(args) -> int:
    if not args.linear:
        return cmd_fit_calibration(args)
    from qa.answers.model import MODEL_PATH
    from qa.evaluation.answer_data import collect
    from qa.evaluation.fit import fit_answer_model, report
    from qa.evaluation.fit_report import table
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set, open_gold_retriever

    rows = []
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        g = gold_set(name)
        print(f"collecting candidates of the {name} gold set", file=sys.stderr)
        retriever = open_gold_retriever(g)
        rows += collect(name, retriever, load_gold(g.questions), Path(args.cache) if args.cache else None)
    model, about, oof = fit_answer_model(rows)
    out = Path(args.out) if args.out else MODEL_PATH
    if not args.dry_run:
        out.write_text(json.dumps(model.to_json(about), indent=1) + "\n", encoding="utf-8")
    figures = report(rows, model, oof) if args.report else {}
    if args.json:
        print(json.dumps({"model": str(out), "written": not args.dry_run, "about": about,
                          "figures": {f"{s}/{sp}": f for (s, sp), f in figures.items()}}, indent=1))
        return 0
    print(f"{'wrote' if not args.dry_run else 'fitted (not written)'} {out}: passages={model.passages}, "
          f"threshold={model.threshold}, out-of-fold hit of the chosen quote {about['oof_candidate_hit']}")
    if figures:
        print(table(figures))
    return 0


HANDLERS = {"fit-answers": cmd_fit_answers}
