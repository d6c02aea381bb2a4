"""The training loop the reader and the sentence scorer share, on CPU with PyTorch.

AdamW (no weight decay on biases and LayerNorm) with linear warm-up and decay, gradients clipped
at 1.0, a progress bar, a CSV log of loss, learning rate and the dev figures, a checkpoint every
``checkpoint_minutes`` (model, optimiser, schedule, step, random state; written atomically) and
resume from it when started again with the same settings. What differs between the two models
(their data, their loss, their dev figures, their summary) is the caller's.

``s`` is a frozen settings dataclass with at least: lr, warmup, weight_decay, freeze_embeddings,
steps, eval_every, checkpoint_minutes, threads, batch.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

# Settings that do not change what is learnt from which data: a run may resume with other values.
# (``steps`` shortens the schedule from the resumed step on; the outcome records every change.)
RESUMABLE = ("eval_every", "checkpoint_minutes", "threads", "steps")


class TrainLog:
    """The CSV log: step, how many examples so far (``unit``), loss, lr, seconds, then the dev
    figures named ``dev`` (empty between evaluations)."""

    def __init__(self, path: Path, unit: str, dev: tuple[str, ...]) -> None:
        self.path, self.dev = path, dev
        self.fields = ["step", unit, "loss", "lr", "seconds", *dev]

    def trim(self, step: int) -> None:
        """Drop the rows past ``step`` (a resumed run writes them again)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as f:
            rows = list(csv.reader(f))
        kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= step] if rows else []
        with self.path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(kept)

    def write(self, step: int, seen: int, loss: float, lr: float, seconds: float, dev: dict | None) -> None:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            if new:
                w.writerow(self.fields)
            w.writerow([step, seen, f"{loss:.4f}", f"{lr:.3g}", f"{seconds:.0f}",
                        *("" if dev is None else f"{dev[name]:.4f}" for name in self.dev)])


@dataclass
class Outcome:
    """How a call of ``run`` ended: ``steps`` done of ``total``; ``record`` is the caller's, as kept
    in the checkpoint since the run began."""

    steps: int
    total: int
    first_loss: float | None
    last_loss: float | None
    seconds: float
    changes: list = field(default_factory=list)
    record: dict = field(default_factory=dict)


def run(model, s, batches: list[np.ndarray], loss_of: Callable, evaluate: Callable[[], dict], work: Path,
        log: TrainLog, progress: bool = True, max_steps: int | None = None, record: dict | None = None) -> Outcome:
    """Train ``model`` over ``batches`` (one pass, or the first ``s.steps``), resuming from
    ``work/checkpoint.pt`` when it is there. ``loss_of(model, idx)`` is a batch's loss tensor;
    ``evaluate()`` (the model in eval mode) the dev figures, every ``s.eval_every`` steps and at the
    end. ``record`` is kept in the checkpoint; a resumed run gets back the first run's. ``max_steps``
    stops early (tests); the schedule is still the whole run's."""
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    work.mkdir(parents=True, exist_ok=True)
    if s.freeze_embeddings:
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    optim = torch.optim.AdamW(
        [{"params": [p for n, p in named if not n.endswith("bias") and "LayerNorm" not in n], "weight_decay": s.weight_decay},
         {"params": [p for n, p in named if n.endswith("bias") or "LayerNorm" in n], "weight_decay": 0.0}], lr=s.lr)
    total = min(s.steps, len(batches)) if s.steps else len(batches)
    sched = get_linear_schedule_with_warmup(optim, int(s.warmup * total), total)

    ckpt = work / "checkpoint.pt"
    now = asdict(s)
    step, elapsed_before, first_loss, changes, record = 0, 0.0, None, [], dict(record or {})
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if {k: v for k, v in state["settings"].items() if k not in RESUMABLE} != \
                {k: v for k, v in now.items() if k not in RESUMABLE}:
            raise ValueError(f"{ckpt} was written with other settings; delete {work} to start afresh")
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        step, elapsed_before, first_loss = state["step"], state["elapsed"], state.get("first_loss")
        changes, record = state.get("changes", []), state.get("record", record)
        if state["settings"] != now:
            changes.append({"at_step": step, "from": {k: v for k, v in state["settings"].items() if v != now.get(k)},
                            "to": {k: v for k, v in now.items() if v != state["settings"].get(k)}})
        sched.load_state_dict({**state["sched"], "base_lrs": [s.lr] * len(optim.param_groups)})
        torch.set_rng_state(state["torch_rng"])
    log.trim(step)
    model.train()
    t0 = last_ckpt = time.time()

    def save() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"settings": now, "model": model.state_dict(), "optim": optim.state_dict(),
                    "sched": sched.state_dict(), "step": step, "torch_rng": torch.get_rng_state(),
                    "elapsed": elapsed_before + time.time() - t0, "changes": changes,
                    "first_loss": first_loss, "record": record}, tmp)
        os.replace(tmp, ckpt)

    bar = tqdm(total=total, initial=step, disable=not progress, unit="batch", dynamic_ncols=True)
    recent: list[float] = []
    stop = total if max_steps is None else min(total, step + max_steps)
    while step < stop:
        loss = loss_of(model, batches[step])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        step += 1
        value = float(loss.detach())
        first_loss = value if first_loss is None else first_loss
        recent = (recent + [value])[-50:]
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(recent):.3f}")
        dev = None
        if step % s.eval_every == 0 or step == total:
            model.eval()
            with torch.no_grad():
                dev = evaluate()
            model.train()
            bar.write(f"step {step}/{total}: loss {np.mean(recent):.3f}, "
                      + ", ".join(f"{k} {v:.3f}" for k, v in dev.items()))
        if step % 25 == 0 or dev is not None:
            log.write(step, step * s.batch, float(np.mean(recent)), sched.get_last_lr()[0],
                      elapsed_before + time.time() - t0, dev)
        if time.time() - last_ckpt > s.checkpoint_minutes * 60:
            save()
            last_ckpt = time.time()
    bar.close()
    save()
    return Outcome(step, total, first_loss, float(np.mean(recent)) if recent else None,
                   round(elapsed_before + time.time() - t0, 1), changes, record)


def save_final(model, tokenizer, work: Path, summary: dict) -> Path:
    """The finished model as a Hugging Face folder, ``work/final``, with ``training.json``."""
    import json

    final = work / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(final)
    (final / "training.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return final
