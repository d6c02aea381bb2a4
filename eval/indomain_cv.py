"""The sentence scorer fine-tuned on the tuning questions' own documents, out of fold (issue 21).

Every scorer run so far learnt from SQuAD only; the answers it loses are on policy documents,
with long sentences and paraphrased questions. The gold sets' tuning splits hold 174 questions
on such documents (136 answerable, 38 not). This script asks whether training on them helps on
documents the scorer has not seen:

1. for each tuning question, the sentences of its top 20 passages (hybrid search), labelled by
   qa.evaluation.scorer_folds.label_sentences: the answer's sentences (a gold answer and the
   evidence) against the 8 sentences without a gold answer that the base scorer rates highest;
   an unanswerable question's group is negatives only (``groups.json``);
2. folds of whole documents, as ``qa fit-answers`` makes them (``folds.json``): for each fold,
   the base scorer trained on the other folds' groups (REPEAT times over) beside new SQuAD groups
   (listwise loss, as the SQuAD runs), and exported (int8);
3. the calibration fit (as ``qa fit-answers``) with the base scorer and with the fold scorers,
   each tuning question judged by the model that did not see its document: ``result.json``.

    HF_HUB_OFFLINE=1 python eval/indomain_cv.py            # all of it (about 40 minutes)
    HF_HUB_OFFLINE=1 python eval/indomain_cv.py fit        # step 3 only, on the folds already trained
    HF_HUB_OFFLINE=1 python eval/indomain_cv.py groups     # the answer sentence rated first in its group
    HF_HUB_OFFLINE=1 python eval/indomain_cv.py full       # the model on every group (WORK/full)

INDOMAIN_BASE names the SQuAD-only scorer to continue (default: the packaged one, which must not
itself have seen the tuning questions); INDOMAIN_WORK the folder (.indomain); INDOMAIN_REPEAT,
INDOMAIN_SQUAD and INDOMAIN_LR the times each tuning group is trained on (4), the SQuAD questions
beside them (150) and the peak learning rate (1e-4).

INDOMAIN_TRAIN names a file of training questions (the gold format, on the real set's tuning
documents: eval/train_questions.jsonl, written for training and asking nothing a gold question
asks). Their groups are made as the tuning questions' are and trained on beside them, each in the
fold of its document: a fold's model never sees a training question on a document it is judged
on. A training question on a document of no tuning question is trained on in every fold; one on a
reporting document is an error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORK = Path(os.environ.get("INDOMAIN_WORK", ROOT / ".indomain"))
REPEAT = int(os.environ.get("INDOMAIN_REPEAT", 4))   # times each tuning group is trained on
TRAIN_REPEAT = int(os.environ.get("INDOMAIN_TRAIN_REPEAT", REPEAT))   # and each training question's
# the scorer the runs continue and whose logits pick the hard negatives: the shipped one (the
# fifth SQuAD run), which must not itself have seen the tuning questions
BASE = Path(os.environ.get("INDOMAIN_BASE", ROOT / "qa/reader/sentences.onnx"))
DEPTH = 20
SETS = ("home", "real")
TRAIN = os.environ.get("INDOMAIN_TRAIN", "")


def tuning_questions():
    from qa.cli.fit import tuning_questions as tuning

    return tuning(list(SETS))


def gold_groups(questions: dict, retriever_of=None) -> dict[str, list[tuple[str, str, int]]]:
    """set:id -> the question's group of (question, sentence, label), hardest negatives first
    (``retriever_of``: the gold set whose index a set's questions are asked of, default itself)."""
    from qa.answers.rerank import passage_sentences
    from qa.evaluation.goldsets import gold_set, open_gold_retriever
    from qa.evaluation.scorer_folds import label_sentences
    from qa.reader.sentences import Judge, load_scorer
    from qa.retrieval.retriever import SearchSettings

    scorer, out = load_scorer(str(BASE)), {}
    for name, qs in questions.items():
        retriever = open_gold_retriever(gold_set((retriever_of or {}).get(name, name)))
        for q in qs:
            qvec = retriever.encode(q.question)
            hits = retriever.search(q.question, SearchSettings(k=DEPTH), query_vector=qvec)[:DEPTH]
            chunks = [h.chunk for h in hits]
            texts, _ = passage_sentences(hits, retriever.sentence_vectors(chunks), retriever.passage_vectors(chunks), qvec)
            sents = list(dict.fromkeys(t for row in texts for t in row if t.strip()))
            logits = Judge(scorer, q.question)(sents)
            out[f"{name}:{q.id}"] = label_sentences(q, sents, logits)
    return out


def settings():
    from qa.reader.sentence_train import SentenceTrainSettings

    return SentenceTrainSettings(init=str(BASE), squad=str(ROOT.parent / "shared/data/squad-train/train-v1.1.json.gz"),
                                 questions=int(os.environ.get("INDOMAIN_SQUAD", 150)), skip=70000, neg_same=4, neg_other=1.0, other_sents=2, listwise=1.0,
                                 batch=6, lr=float(os.environ.get("INDOMAIN_LR", 1e-4)), dev_questions=100, eval_every=10_000, threads=2)


def training_questions() -> list:
    """The questions of INDOMAIN_TRAIN (none without it), checked to lie on the real set's tuning
    documents or on documents of neither split."""
    from qa.evaluation.gold import load_gold
    from qa.evaluation.goldsets import gold_set

    if not TRAIN:
        return []
    qs = load_gold(Path(TRAIN))
    report = {d for q in load_gold(gold_set("real").questions) if q.split == "report" for d in q.docs}
    bad = sorted({d for q in qs for d in q.docs if d in report})
    if bad:
        sys.exit(f"{TRAIN}: training questions on reporting documents ({', '.join(bad)}): they would flatter the reporting split")
    return qs


def train_folds(groups: dict, folds: dict[str, int]) -> None:
    from qa.evaluation.scorer_folds import FOLDS
    from qa.reader.export import export_sentences
    from qa.reader.sentence_train import train_sentences

    for f in range(FOLDS):
        out = WORK / f"fold{f}" / "sentences.onnx"
        if out.is_file():
            continue
        extra = [g for k, g in groups.items() if k.startswith("train:") and folds[k] != f] * TRAIN_REPEAT + \
            [g for k, g in groups.items() if not k.startswith("train:") and folds[k] != f] * REPEAT
        seen = sum(folds[k] != f for k in groups)
        print(f"fold {f}: {seen} groups (training questions {TRAIN_REPEAT} times, tuning {REPEAT}), "
              f"{sum(len(g) for g in extra)} sentences", file=sys.stderr)
        work = WORK / f"train{f}"
        summary = train_sentences(settings(), work, WORK / f"log{f}.csv", extra_groups=extra)
        print(json.dumps({k: summary[k] for k in ("steps", "pairs", "first_loss", "last_loss", "seconds")}), file=sys.stderr)
        export_sentences(work / "final", out)


def train_full(groups: dict) -> Path:
    """The scorer trained on every tuning group (REPEAT times over) beside the same SQuAD groups,
    for measuring with QA_SENTENCES; its card's ``tuning_groups`` says what it saw, so that
    ``qa fit-answers`` will not fit a calibration on its own (flattering) logits."""
    import hashlib

    from qa.reader.export import export_sentences
    from qa.reader.sentence_train import train_sentences

    out = WORK / "full" / "sentences.onnx"
    if not out.is_file():
        work = WORK / "train-full"
        extra = [g for k, g in groups.items() if k.startswith("train:")] * TRAIN_REPEAT + \
            [g for k, g in groups.items() if not k.startswith("train:")] * REPEAT
        summary = train_sentences(settings(), work, WORK / "log-full.csv", extra_groups=extra)
        print(json.dumps({k: summary[k] for k in ("steps", "pairs", "first_loss", "last_loss", "seconds")}), file=sys.stderr)
        card = export_sentences(work / "final", out)
        card["tuning_groups"] = {"groups": len(groups), "repeated": REPEAT, "training_questions": TRAIN or None,
                                 "training_repeated": TRAIN_REPEAT,
                                 "sha256": hashlib.sha256((WORK / "groups.json").read_bytes()).hexdigest(),
                                 "folds": f"{WORK}/fold0.. (qa fit-answers --scorer-folds {WORK})"}
        out.with_name("sentences.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return out


def fit(scorer) -> dict:
    from qa.cli.fit import read_and_fit

    cal, about = read_and_fit(tuning_questions(), scorer, ROOT / "eval/cache")
    return {"calibration": cal.to_json(), "about": about}


def group_accuracy(folds: dict[str, int]) -> dict:
    """The share of groups with a positive whose positive the scorer rates first: the base
    scorer, each fold's model on the groups it did not see (out of fold) and on those it did."""
    import numpy as np

    from qa.evaluation.scorer_folds import FOLDS
    from qa.reader.sentences import SentenceScorer

    base = SentenceScorer(BASE)
    models = [SentenceScorer(WORK / f"fold{f}" / "sentences.onnx") for f in range(FOLDS)]
    out = {}
    for kind in ("tuning", "train"):
        right: dict[str, list[bool]] = {"base": [], "out of fold": [], "in sample (the fold models)": []}
        for k, group in load_groups().items():
            labels = np.array([p[2] for p in group])
            if not labels.any() or k.startswith("train:") != (kind == "train") or folds[k] < 0:
                continue
            q, sents = group[0][0], [p[1] for p in group]
            first = lambda m: bool(labels[int(np.argmax(m.score(q, sents)))])  # noqa: E731
            right["base"].append(first(base))
            right["out of fold"].append(first(models[folds[k]]))
            right["in sample (the fold models)"].append(first(models[(folds[k] + 1) % FOLDS]))
        if right["base"]:
            out[kind] = {k: round(float(np.mean(v)), 4) for k, v in right.items()} | {"groups": len(right["base"])}
    return out


def load_groups() -> dict:
    return {k: [tuple(p) for p in g] for k, g in json.loads((WORK / "groups.json").read_text(encoding="utf-8")).items()}


def main(argv: list[str]) -> None:
    from qa.evaluation.scorer_folds import FoldScorer, fold_of, training_fold_of
    from qa.reader.sentences import load_scorer

    questions = tuning_questions()
    train = training_questions()
    folds = fold_of(questions)
    every_fold = folds | training_fold_of(train, questions)
    if json.loads(BASE.with_name("sentences.json").read_text(encoding="utf-8")).get("tuning_groups"):
        sys.exit(f"{BASE} was trained on the tuning questions: set INDOMAIN_BASE to the SQuAD-only scorer it continued "
                 "(its card's command says how to get it)")
    if "groups" in argv:
        print(json.dumps(group_accuracy(every_fold), indent=1))
        return
    if "full" in argv:
        print(train_full(load_groups()))
        return
    if "fit" not in argv:
        WORK.mkdir(exist_ok=True)
        path = WORK / "groups.json"
        if not path.is_file():
            groups = gold_groups(questions) | gold_groups({"train": train}, {"train": "real"})
            path.write_text(json.dumps(groups), encoding="utf-8")
        groups = load_groups()
        if set(groups) != set(every_fold):
            sys.exit(f"{path} was made for other questions: move it away (or set INDOMAIN_WORK) and run again")
        print(f"{len(groups)} groups, {sum(any(p[2] for p in g) for g in groups.values())} with a positive", file=sys.stderr)
        (WORK / "folds.json").write_text(json.dumps(folds, indent=0), encoding="utf-8")
        train_folds(groups, every_fold)
    result = {"base": fit(load_scorer(str(BASE))), "folds": fit(FoldScorer.load(WORK, questions))}
    (WORK / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    keys = ("hit_answerable_mean_of_sets", "refusal_f1_with_linear_refusal", "refusal_f1_alone", "oof_log_loss", "passages")
    for name, r in result.items():
        print(name, {k: r["about"].get(k) for k in keys})


if __name__ == "__main__":
    main(sys.argv[1:])
