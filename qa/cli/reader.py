"""The ``qa train-reader`` and ``qa export-reader`` sub-commands: the reader model the project trains."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.types import SettingsError


def add_parsers(sub) -> None:
    from qa.reader.train import TrainSettings

    d = TrainSettings()
    p = sub.add_parser("train-reader", help="fine-tune the reader on SQuAD (CPU; checkpoints and resumes)")
    p.add_argument("--squad", default=None, help="SQuAD v1.1 file (default: ../shared/data/squad-train/train-v1.1.json.gz)")
    p.add_argument("--work", default=".reader-train", help="checkpoints and the final model (default: .reader-train)")
    p.add_argument("--log", default="eval/reader-train-log.csv", help="CSV of loss and dev EM/F1 over steps")
    p.add_argument("--base-model", default=d.base_model, help="encoder to start from (name or folder)")
    for name in ("questions", "dev_articles", "dev_questions", "max_tokens", "stride", "batch", "seed",
                 "eval_every", "threads", "steps"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(d, name))
    for name in ("neg_same", "neg_other", "neg_cut", "lr", "warmup", "checkpoint_minutes"):
        p.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(d, name))
    p.add_argument("--init", default="", help="an exported reader (ONNX) to continue from, e.g. qa/reader/reader.onnx")
    p.add_argument("--skip", type=int, default=0, help="questions of the seeded shuffle to leave out first (those --init saw)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (a trial)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    e = sub.add_parser("export-reader", help="export a trained reader to one ONNX file (int8 or fp32)")
    e.add_argument("--model", default=".reader-train/final", help="the trained model folder")
    e.add_argument("--out", default=None, help="ONNX file to write (default: the packaged qa/reader/reader.onnx)")
    e.add_argument("--fp32", action="store_true", help="keep fp32 weights (default: int8 dynamic quantisation)")

    from qa.reader.sentence_train import SentenceTrainSettings

    t = SentenceTrainSettings()
    c = sub.add_parser("train-sentences", help="fine-tune the sentence scorer on SQuAD (CPU; checkpoints and resumes)")
    c.add_argument("--squad", default=None, help="SQuAD v1.1 file (default: ../shared/data/squad-train/train-v1.1.json.gz)")
    c.add_argument("--work", default=".sentences-train", help="checkpoints and the final model (default: .sentences-train)")
    c.add_argument("--log", default="eval/sentences-train-log.csv", help="CSV of loss and dev sentence accuracy over steps")
    c.add_argument("--base-model", default=t.base_model, help="encoder to start from (name or folder)")
    c.add_argument("--init", default=t.init, help="an exported sentence scorer to continue, or reader whose encoder to start from (ONNX)")
    for name in ("questions", "skip", "dev_articles", "dev_questions", "max_tokens", "neg_same", "other_sents", "neg_retrieved",
                 "neg_removed", "batch", "seed", "eval_every", "threads", "steps"):
        c.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(t, name))
    for name in ("neg_other", "listwise", "lr", "warmup", "checkpoint_minutes"):
        c.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(t, name))
    c.add_argument("--max-overlap", type=float, default=t.max_overlap,
                   help="train only on questions sharing at most this share of their content words with the answer's "
                        "sentence (paraphrased questions; default 1: every question)")
    c.add_argument("--overlap-mix", type=float, default=t.overlap_mix,
                   help="with --max-overlap: this share of the questions taken from those above it instead (default 0)")
    c.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (a trial)")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")

    x = sub.add_parser("export-sentences", help="export a trained sentence scorer to one ONNX file (int8 or fp32)")
    x.add_argument("--model", default=".sentences-train/final", help="the trained model folder")
    x.add_argument("--out", default=None, help="ONNX file to write (default: the packaged qa/reader/sentences.onnx)")
    x.add_argument("--fp32", action="store_true", help="keep fp32 weights (default: int8 dynamic quantisation)")

    d = sub.add_parser("eval-reader", help="the reader's EM and F1 on its SQuAD dev split (held-out articles)")
    d.add_argument("--reader", default=None, help="ONNX reader (default: $QA_READER or the packaged one)")
    d.add_argument("--squad", default=None, help="SQuAD v1.1 file (default: ../shared/data/squad-train/...)")
    d.add_argument("--questions", type=int, default=1000, help="dev questions to answer (default 1000)")
    d.add_argument("--out", default=None, help="also write the JSON here")


def cmd_train_reader(args) -> int:
    from qa.reader.squad import DEFAULT_SQUAD
    from qa.reader.train import TrainSettings, train

    try:
        s = TrainSettings(base_model=args.base_model, squad=args.squad or str(DEFAULT_SQUAD),
                          questions=args.questions, dev_articles=args.dev_articles, dev_questions=args.dev_questions,
                          max_tokens=args.max_tokens, stride=args.stride, neg_same=args.neg_same,
                          neg_other=args.neg_other, neg_cut=args.neg_cut, batch=args.batch, lr=args.lr, warmup=args.warmup,
                          seed=args.seed, eval_every=args.eval_every, checkpoint_minutes=args.checkpoint_minutes,
                          threads=args.threads, steps=args.steps, init=args.init, skip=args.skip)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    summary = train(s, Path(args.work), Path(args.log), progress=not args.no_progress, max_steps=args.max_steps)
    print(json.dumps(summary, indent=1))
    return 0


def cmd_train_sentences(args) -> int:
    from qa.reader.sentence_train import SentenceTrainSettings, train_sentences
    from qa.reader.squad import DEFAULT_SQUAD

    names = ("base_model", "init", "questions", "skip", "dev_articles", "dev_questions", "max_tokens", "neg_same",
             "neg_other", "other_sents", "neg_retrieved", "neg_removed", "max_overlap", "overlap_mix", "listwise", "batch", "lr", "warmup", "seed", "eval_every", "checkpoint_minutes", "threads", "steps")
    try:
        s = SentenceTrainSettings(squad=args.squad or str(DEFAULT_SQUAD), **{n: getattr(args, n) for n in names})
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    summary = train_sentences(s, Path(args.work), Path(args.log), progress=not args.no_progress,
                              max_steps=args.max_steps)
    print(json.dumps(summary, indent=1))
    return 0


def cmd_export_reader(args) -> int:
    from qa.reader.export import export_reader
    from qa.reader.model import READER_PATH

    out = Path(args.out) if args.out else READER_PATH
    info = export_reader(Path(args.model), out, quantize=not args.fp32)
    print(json.dumps(info, indent=1), file=sys.stdout)
    return 0


def cmd_export_sentences(args) -> int:
    from qa.reader.export import export_sentences
    from qa.reader.sentences import SENTENCES_PATH

    out = Path(args.out) if args.out else SENTENCES_PATH
    info = export_sentences(Path(args.model), out, quantize=not args.fp32)
    settings = info["training"].get("settings")
    if settings and Path(settings["squad"]).is_file():   # the exported file's own figure, beside training's
        from qa.reader.sentence_train import exported_dev_accuracy
        from qa.reader.sentences import SentenceScorer

        info["dev_accuracy"] = round(exported_dev_accuracy(SentenceScorer(out), settings), 4)
        out.with_name("sentences.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=1), file=sys.stdout)
    return 0


def cmd_eval_reader(args) -> int:
    from qa.cli.common import progress_bar
    from qa.evaluation.reader_dev import reader_dev_figures
    from qa.reader.model import Reader
    from qa.reader.squad import DEFAULT_SQUAD

    reader = Reader(Path(args.reader) if args.reader else None)
    bar = progress_bar()[0]
    figures = reader_dev_figures(reader, args.squad or str(DEFAULT_SQUAD), args.questions,
                                 progress=lambda n, total: bar("reader dev", 1, total))
    figures = {"reader": str(reader.path), "sha256": reader.card.get("sha256", ""), **figures}
    text = json.dumps(figures, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


HANDLERS = {"train-reader": cmd_train_reader, "train-sentences": cmd_train_sentences, "export-reader": cmd_export_reader,
            "export-sentences": cmd_export_sentences, "eval-reader": cmd_eval_reader}
