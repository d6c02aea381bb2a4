"""``qa eval`` on gold sets: home and real side by side (``--set``), or any ``--questions`` file.

The home set runs over the index of ``--index`` (and ``--backend``), as every other command
does; the real set over its own index (qa.evaluation.goldsets.open_gold_retriever, built into
eval/cache/real-index when missing or stale). ``--questions FILE`` evaluates another set: over
``--index`` as it stands, or, with ``--corpus DIR``, over an index of DIR built or refreshed
into ``--index`` when given, else into a cache folder (eval/cache/gold-NAME).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from qa.cli.common import open_index, progress_bar
from qa.types import SettingsError


def _modes(args) -> tuple[str, ...]:
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    from qa.retrieval.retriever import MODES

    if not modes or any(m not in MODES for m in modes):
        raise SettingsError(f"--modes takes any of {', '.join(MODES)}, got {args.modes!r}")
    return modes


def index_given(args) -> bool:
    """Whether ``--index`` names a folder of its own (not the default nor $QA_INDEX)."""
    return Path(args.index) != Path(os.environ.get("QA_INDEX", "index"))


def chosen(args) -> list:
    """The GoldSets to evaluate, from ``--set``, ``--questions`` and ``--corpus``."""
    from qa.evaluation.goldsets import GoldSet, chosen_sets, custom_gold_set

    questions = args.questions or (None if args.set else os.environ.get("QA_GOLD"))
    if args.questions and args.set:
        raise SettingsError("--questions and --set both name the questions: give one of them")
    if questions:
        if args.corpus is not None and not Path(args.corpus).is_dir():
            raise SettingsError(f"--corpus {args.corpus}: no such folder")
        if args.corpus is not None and not index_given(args):
            g = custom_gold_set(questions, args.corpus, "")
            return [GoldSet(g.name, g.title, g.questions, g.corpus, Path("eval/cache") / f"gold-{g.name}")]
        return [custom_gold_set(questions, args.corpus, args.index)]
    if args.corpus is not None:
        raise SettingsError("--corpus needs --questions (the gold sets carry their own corpus)")
    return list(chosen_sets(args.set or ("home" if args.sweep else "all")))


def retriever_for(g, args, encoder=None):
    """The retriever ``g`` is asked against: the home set and a bare ``--questions`` file use
    ``--index`` and ``--backend``; the real set and a ``--corpus`` set their own index."""
    from qa.evaluation.goldsets import gold_set, open_gold_retriever

    if g.corpus == Path("") or g == gold_set("home"):
        return open_index(args).retriever
    progress = progress_bar()[0]
    return open_gold_retriever(g, encoder=encoder, progress=progress)


def cmd_eval_gold(args) -> int:
    from qa.answers.answer import AnswerSettings
    from qa.evaluation.goldsets import chosen_splits, evaluate_splits, split_questions

    if args.k < 1:
        raise SettingsError(f"--k must be at least 1, got {args.k}")
    modes = _modes(args)
    sets = chosen(args)
    if args.sweep and len(sets) != 1:
        raise SettingsError("--sweep tunes on one gold set: give --set home or --set real")
    splits = chosen_splits(args.split or ("tune" if args.sweep else "report,tune"))
    questions = {g.name: split_questions(g, splits, skip_empty=args.split is None) for g in sets}
    if args.sweep:
        return _sweep_gold(args, retriever_for(sets[0], args), [q for qs in questions[sets[0].name].values()
                                                                  for q in qs])
    results, encoder, bar = {}, None, progress_bar()[0]
    for g in sets:
        retriever = retriever_for(g, args, encoder)
        results[g.name] = evaluate_splits(retriever, questions[g.name], modes=modes, k=args.k,
                                          answer_settings=AnswerSettings(stage=getattr(args, "stage", "reader")),
                                          progress=lambda done, total, name=g.name: bar(f"eval {name}", 1, total))
        encoder = encoder or getattr(retriever, "encoder", None)   # one model load for every set
    out = {name: {split: dict(r.summary, split=split, questions_file=str(g.questions))
                  for split, r in by_split.items()}
           for (name, by_split), g in zip(results.items(), sets)}
    if args.report:
        from qa.evaluation.report import write_gold_report

        paths = write_gold_report(Path(args.report), results, {g.name: g.title for g in sets})
        print(f"wrote {len(paths)} files to {args.report} (report.md, metrics.json, charts)", file=sys.stderr)
    if args.json:
        print(json.dumps(out))
    else:
        _print(out, {g.name: g.title for g in sets})
    return 0


def _print(out: dict, titles: dict) -> None:
    from qa.evaluation.report import answers_table, metrics_table

    for name, by_split in out.items():
        print(f"== {titles.get(name, name)}\n")
        for split, s in by_split.items():
            print(f"{s['questions']} questions ({split} split, {s['answerable']} answerable)\n")
            print(metrics_table(s["modes"]) + "\n")
        if any("answers" in s for s in by_split.values()):
            print("answers (qa ask, hybrid):\n")
            print(answers_table({sp: s for sp, s in by_split.items() if "answers" in s}) + "\n")


def _sweep_gold(args, retriever, tune) -> int:
    from qa.evaluation.sweep import gold_qrels, sweep_answers, sweep_fusion
    from qa.retrieval.retriever import SearchSettings

    if args.split not in (None, "tune"):
        print(f"note: sweeping on the {args.split} split; tune on the tuning split only", file=sys.stderr)
    fusion = sweep_fusion(retriever, {q.id: q.question for q in tune}, gold_qrels(retriever, tune))
    best = fusion[0].setting
    answers = sweep_answers(retriever, tune, SearchSettings(mode="hybrid", k=10, **best))
    out = {"split": args.split or "tune", "questions": len(tune),
           "fusion": [{"setting": p.setting, "ndcg@10": round(p.score, 4)} for p in fusion],
           "answers_best": [{"setting": p.setting, "accuracy": round(p.score, 4)} for p in answers[:10]]}
    if args.json:
        print(json.dumps(out))
    else:
        for p in fusion:
            print(f"{json.dumps(p.setting):50s} hybrid ndcg@10 {p.score:.4f}")
        print(f"\nbest fusion: {best}")
        for p in answers[:5]:
            print(f"{json.dumps(p.setting):70s} right {p.score:.3f}")
        print(f"best answer setting: {answers[0].setting}")
    return 0
