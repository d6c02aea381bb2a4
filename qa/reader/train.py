"""Fine-tune a transformer as an extractive reader on SQuAD, on CPU, with checkpoints and resume.

What is trained: the encoder the project ships (all-MiniLM-L6-v2) with a new span head
(``AutoModelForQuestionAnswering``): start and end logits over a window's tokens, the [CLS] token
standing for "no answer here". Its word-piece embeddings are frozen (half of the parameters,
unchanged by a single short epoch anyway; freezing them keeps each step cheaper).

The windows (qa.reader.data, cut as inference cuts them: qa.reader.windows) are answer-holding
windows and negatives labelled at [CLS], shuffled with the seed, then batched among neighbours of
similar length so that little compute goes to padding. The order depends only on the seed, so a
resumed run sees the same data.

The loop (qa.reader.loop, shared with the sentence scorer) writes a checkpoint every
``checkpoint_minutes``, resumes from it when started again with the same settings, logs loss and
the dev split's EM / F1 to a CSV, and saves the final model as a Hugging Face folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.reader.data import batch_order, dev_examples, training_windows
from qa.reader.decode import best_spans
from qa.reader.loop import TrainLog, run, save_final
from qa.reader.squad import Example, exact_match, f1_score, load_squad, split_articles
from qa.reader.windows import make_windows

@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides a training run; the checkpoint records it and resume checks it."""

    base_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    squad: str = ""
    questions: int = 28000
    dev_articles: int = 24
    dev_questions: int = 300
    max_tokens: int = 192
    stride: int = 64
    neg_same: float = 0.5
    neg_other: float = 0.3
    neg_cut: float = 0.0   # the question's own paragraph without the answer's sentence, as a negative
    batch: int = 16
    lr: float = 1e-4
    warmup: float = 0.06
    weight_decay: float = 0.01
    seed: int = 13
    freeze_embeddings: bool = True
    eval_every: int = 400
    checkpoint_minutes: float = 5.0
    threads: int = 0
    steps: int = 1500  # 0: one pass over every batch; else the run (and its schedule) stops there
    init: str = ""     # an exported reader (ONNX) to start from instead of the base model's new span head
    skip: int = 0      # questions of the seeded shuffle left out first: those an earlier run (--init) saw

    def __post_init__(self) -> None:
        if self.questions < 1 or self.batch < 1:
            raise ValueError("questions and batch must be at least 1")
        if self.skip < 0:
            raise ValueError("skip must be 0 or more")
        if self.init and not Path(self.init).is_file():
            raise ValueError(f"{self.init}: no reader to start from (--init wants an exported reader.onnx)")
        if not (0 <= self.neg_same <= 1 and 0 <= self.neg_other <= 1 and 0 <= self.neg_cut <= 1):
            raise ValueError("neg_same, neg_other and neg_cut are probabilities (0..1)")
        if self.steps < 0:
            raise ValueError("steps must be 0 (every batch) or positive")


def predict_text(model, tokenizer, question: str, context: str, s: TrainSettings) -> str:
    """The reader's best answer span (text) for ``question`` on ``context``, with the torch model."""
    import torch

    win = make_windows(tokenizer, question, [context], s.max_tokens, s.stride)
    if not len(win):
        return ""
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(win.input_ids), attention_mask=torch.from_numpy(win.attention_mask),
                    token_type_ids=torch.from_numpy(win.token_type_ids))
    spans = best_spans(out.start_logits.numpy(), out.end_logits.numpy(), win.offsets, win.passage)
    return context[spans[0].start:spans[0].end] if spans else ""


def evaluate_dev(model, tokenizer, examples: list[Example], s: TrainSettings) -> tuple[float, float]:
    """(EM, F1) of the torch model on ``examples``, against every answer text of their question."""
    em = f1 = 0.0
    for ex in examples:
        pred = predict_text(model, tokenizer, ex.question, ex.context, s)
        em += exact_match(pred, [ex.answer])
        f1 += f1_score(pred, [ex.answer])
    return em / max(len(examples), 1), f1 / max(len(examples), 1)


def train(s: TrainSettings, work: Path, log_path: Path, progress: bool = True, max_steps: int | None = None) -> dict:
    """Run (or resume) training into ``work``; returns a summary. ``work/final`` holds the model.

    ``max_steps`` stops early (tests); the schedule is still that of the whole run.
    """
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.retrieval.model_files import resolve_model

    if s.threads:
        torch.set_num_threads(s.threads)
    torch.manual_seed(s.seed)
    base = resolve_model(s.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    articles = load_squad(s.squad)
    train_ids, dev_ids = split_articles(len(articles), s.dev_articles, s.seed)
    data = training_windows(articles, train_ids, tokenizer, s)
    lengths = data["attention_mask"].sum(axis=1)
    dev = dev_examples(articles, dev_ids, s.dev_questions, s.seed)

    model = AutoModelForQuestionAnswering.from_pretrained(base)
    # a resumed run's weights come from its checkpoint, and its record from the first run
    fresh = not (work / "checkpoint.pt").exists()
    record = {"started_from": _start_from(model, s) if s.init and fresh else None}

    def loss_of(model, idx):
        width = int(lengths[idx].max())
        feed = {k: torch.from_numpy(data[k][idx, :width]) for k in ("input_ids", "attention_mask", "token_type_ids")}
        return model(**feed, start_positions=torch.from_numpy(data["start"][idx]),
                     end_positions=torch.from_numpy(data["end"][idx])).loss

    def evaluate() -> dict:
        em, f1 = evaluate_dev(model, tokenizer, dev, s)
        return {"dev_em": em, "dev_f1": f1}

    out = run(model, s, batch_order(lengths, s.batch, s.seed), loss_of, evaluate, work,
              TrainLog(log_path, "windows", ("dev_em", "dev_f1")), progress, max_steps, record)
    summary = {"steps": out.steps, "total_steps": out.total, "windows": int(len(lengths)), "first_loss": out.first_loss,
               "last_loss": out.last_loss, "seconds": out.seconds, "settings": asdict(s),
               "resumed_with_changes": out.changes, "started_from": out.record.get("started_from"), "work": str(work)}
    if out.steps == out.total:
        save_final(model, tokenizer, work, summary)
    return summary


def _start_from(model, s: TrainSettings) -> dict:
    """Load the reader ``s.init`` into ``model``; its card (hash, training, command) is returned for
    the new run's record. Frozen word embeddings stay the base model's: training never changed them,
    and the file holds them quantised."""
    from qa.reader.warm import load_into

    path = Path(s.init)
    words = model.base_model.embeddings.word_embeddings.weight
    keep = tuple(n for n, p in model.named_parameters() if p is words) if s.freeze_embeddings else ()
    load_into(model, path, keep=keep)
    card_path = path.with_name("reader.json")
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.is_file() else {}
    return {"file": str(path), "sha256": card.get("sha256", ""), "training": card.get("training", {}),
            "command": card.get("command", "")}


def squad_default() -> str:
    from qa.reader.squad import DEFAULT_SQUAD

    return str(DEFAULT_SQUAD)

