"""Fine-tune a transformer as an extractive reader on SQuAD, on CPU, with checkpoints and resume.

What is trained: the encoder the project ships (all-MiniLM-L6-v2) with a new span head
(``AutoModelForQuestionAnswering``): start and end logits over a window's tokens, the [CLS] token
standing for "no answer here". Its word-piece embeddings are frozen (half of the parameters,
unchanged by a single short epoch anyway; freezing them keeps each step cheaper).

The windows (qa.reader.data, cut as inference cuts them: qa.reader.windows) are answer-holding
windows and negatives labelled at [CLS], shuffled with the seed, then batched among neighbours of
similar length so that little compute goes to padding. The order depends only on the seed, so a
resumed run sees the same data.

A run writes a checkpoint every ``checkpoint_minutes`` (model, optimiser, schedule, step, random
state; atomically), resumes from it when started again with the same settings, logs loss and the
dev split's EM / F1 to a CSV, and saves the final model as a Hugging Face folder.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.reader.data import batch_order, dev_examples, training_windows
from qa.reader.decode import best_spans
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
        if not (0 <= self.neg_same <= 1 and 0 <= self.neg_other <= 1):
            raise ValueError("neg_same and neg_other are probabilities (0..1)")
        if self.steps < 0:
            raise ValueError("steps must be 0 (every batch) or positive")


# Settings that do not change what is learnt from which data: a run may resume with other values.
# (``steps`` shortens the schedule from the resumed step on; the summary records every change.)
RESUMABLE = ("eval_every", "checkpoint_minutes", "threads", "steps")


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
    model.eval()
    em = f1 = 0.0
    for ex in examples:
        pred = predict_text(model, tokenizer, ex.question, ex.context, s)
        em += exact_match(pred, [ex.answer])
        f1 += f1_score(pred, [ex.answer])
    model.train()
    return em / max(len(examples), 1), f1 / max(len(examples), 1)


def train(s: TrainSettings, work: Path, log_path: Path, progress: bool = True, max_steps: int | None = None) -> dict:
    """Run (or resume) training into ``work``; returns a summary. ``work/final`` holds the model.

    ``max_steps`` stops early (tests); the schedule is still that of the whole run.
    """
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, get_linear_schedule_with_warmup

    from qa.retrieval.model_files import resolve_model

    if s.threads:
        torch.set_num_threads(s.threads)
    torch.manual_seed(s.seed)
    work.mkdir(parents=True, exist_ok=True)
    base = resolve_model(s.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base)
    articles = load_squad(s.squad)
    train_ids, dev_ids = split_articles(len(articles), s.dev_articles, s.seed)
    data = training_windows(articles, train_ids, tokenizer, s)
    lengths = data["attention_mask"].sum(axis=1)
    batches = batch_order(lengths, s.batch, s.seed)
    dev = dev_examples(articles, dev_ids, s.dev_questions, s.seed)

    model = AutoModelForQuestionAnswering.from_pretrained(base)
    if s.freeze_embeddings:
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and (n.endswith("bias") or "LayerNorm" in n)]
    optim = torch.optim.AdamW([{"params": decay, "weight_decay": s.weight_decay},
                               {"params": no_decay, "weight_decay": 0.0}], lr=s.lr)
    total = min(s.steps, len(batches)) if s.steps else len(batches)
    sched = get_linear_schedule_with_warmup(optim, int(s.warmup * total), total)

    ckpt = work / "checkpoint.pt"
    step = 0
    elapsed_before = 0.0
    changes: list[dict] = []
    first_loss = None   # the run's very first batch loss, kept across resumes
    started_from = None
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        was = {k: v for k, v in state["settings"].items() if k not in RESUMABLE}
        if was != {k: v for k, v in asdict(s).items() if k not in RESUMABLE}:
            raise ValueError(f"{ckpt} was written with other settings; delete {work} to start afresh")
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        step = state["step"]
        changes = state.get("changes", [])
        if state["settings"] != asdict(s):
            changes.append({"at_step": step, "from": {k: v for k, v in state["settings"].items() if v != asdict(s).get(k)},
                            "to": {k: v for k, v in asdict(s).items() if v != state["settings"].get(k)}})
        sched.load_state_dict({**state["sched"], "base_lrs": [s.lr] * len(optim.param_groups)})
        elapsed_before = state["elapsed"]
        first_loss = state.get("first_loss")
        started_from = state.get("started_from")
        torch.set_rng_state(state["torch_rng"])
    elif s.init:
        started_from = _start_from(model, s)
    _trim_log(log_path, step)
    model.train()

    def save():
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"settings": asdict(s), "model": model.state_dict(), "optim": optim.state_dict(),
                    "sched": sched.state_dict(), "step": step, "torch_rng": torch.get_rng_state(),
                    "elapsed": elapsed_before + time.time() - t0, "changes": changes,
                    "first_loss": first_loss, "started_from": started_from}, tmp)
        os.replace(tmp, ckpt)

    from tqdm import tqdm

    bar = tqdm(total=total, initial=step, disable=not progress, unit="batch", dynamic_ncols=True)
    t0 = time.time()
    last_ckpt = time.time()
    recent: list[float] = []
    stop = total if max_steps is None else min(total, step + max_steps)
    while step < stop:
        idx = batches[step]
        width = int(lengths[idx].max())
        feed = {k: torch.from_numpy(data[k][idx, :width]) for k in ("input_ids", "attention_mask", "token_type_ids")}
        out = model(**feed, start_positions=torch.from_numpy(data["start"][idx]),
                    end_positions=torch.from_numpy(data["end"][idx]))
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        step += 1
        loss = float(out.loss.detach())
        first_loss = loss if first_loss is None else first_loss
        recent = (recent + [loss])[-50:]
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(recent):.3f}")
        dev_em = dev_f1 = None
        if step % s.eval_every == 0 or step == total:
            dev_em, dev_f1 = evaluate_dev(model, tokenizer, dev, s)
            bar.write(f"step {step}/{total}: loss {np.mean(recent):.3f}, dev EM {dev_em:.3f} F1 {dev_f1:.3f}")
        if step % 25 == 0 or dev_em is not None:
            _log(log_path, step, step * s.batch, float(np.mean(recent)), sched.get_last_lr()[0],
                 elapsed_before + time.time() - t0, dev_em, dev_f1)
        if time.time() - last_ckpt > s.checkpoint_minutes * 60:
            save()
            last_ckpt = time.time()
    bar.close()
    save()
    summary = {"steps": step, "total_steps": total, "windows": int(len(lengths)), "first_loss": first_loss,
               "last_loss": float(np.mean(recent)) if recent else None,
               "seconds": round(elapsed_before + time.time() - t0, 1), "settings": asdict(s),
               "resumed_with_changes": changes, "started_from": started_from, "work": str(work)}
    if step == total:
        final = work / "final"
        model.save_pretrained(final)
        tokenizer.save_pretrained(final)
        (final / "training.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
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


_LOG_FIELDS = ["step", "windows", "loss", "lr", "seconds", "dev_em", "dev_f1"]


def _log(path: Path, step, windows, loss, lr, seconds, em, f1) -> None:
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if new:
            w.writerow(_LOG_FIELDS)
        w.writerow([step, windows, f"{loss:.4f}", f"{lr:.3g}", f"{seconds:.0f}",
                    "" if em is None else f"{em:.4f}", "" if f1 is None else f"{f1:.4f}"])


def _trim_log(path: Path, step: int) -> None:
    """Drop the log rows past ``step`` (a resumed run writes them again)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= step] if rows else []
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(kept)


def squad_default() -> str:
    from qa.reader.squad import DEFAULT_SQUAD

    return str(DEFAULT_SQUAD)

