"""Fine-tune the sentence scorer on SQuAD: (question, sentence) -> does the sentence answer it.

A cross-encoder (all-MiniLM-L6-v2 with one logit on [CLS], ``AutoModelForSequenceClassification``)
reads ``[CLS] question [SEP] sentence [SEP]`` and is trained with binary cross-entropy on the pairs
of qa.reader.sentence_data, plus (``listwise`` > 0) a softmax loss over each question's group, so
that the answer sentence outscores the others it is shown beside. It starts from the shipped reader's encoder (``init``, which already
reads questions against passages), or from the base model when ``init`` is empty. The SQuAD split by
article is the reader's (same seed, same dev articles), so the dev figure is on unseen articles:
the share of dev questions whose answer sentence the scorer ranks first among its paragraph's.

Checkpoints, resume, the progress bar and the log are the loop the reader's training uses too
(qa.reader.loop).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.ingestion.chunking import split_sentences
from qa.reader.data import batch_order, dev_examples
from qa.reader.loop import TrainLog, run, save_final
from qa.reader.sentence_data import answer_sentence, pair_arrays, sentence_groups
from qa.reader.squad import load_squad, split_articles
from qa.reader.windows import make_windows


@dataclass(frozen=True)
class SentenceTrainSettings:
    """Everything that decides a sentence-scorer run; the checkpoint records it, resume checks it."""

    base_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    init: str = ""          # an exported reader (ONNX) whose encoder to start from
    squad: str = ""
    questions: int = 32000
    skip: int = 0
    dev_articles: int = 24
    dev_questions: int = 300
    max_tokens: int = 128
    neg_same: int = 2
    neg_other: float = 0.5
    other_sents: int = 1    # sentences taken from the closest other paragraph
    neg_retrieved: int = 0  # sentences from the best BM25 paragraph of another article
    neg_removed: int = 0    # 1: also the answer sentence with the answer taken out (a near miss)
    max_overlap: float = 1.0  # only questions sharing at most this share of their words with the answer's sentence
    overlap_mix: float = 0.0  # with max_overlap: this share of the questions taken from those above it
    listwise: float = 0.0   # weight of the softmax loss over each question's group (0: pairs only)
    batch: int = 32         # pairs per batch; with ``listwise``, questions (groups) per batch
    lr: float = 5e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    seed: int = 13
    freeze_embeddings: bool = True   # the word pieces' embeddings (as the reader's training)
    eval_every: int = 500
    checkpoint_minutes: float = 5.0
    threads: int = 0
    steps: int = 0          # 0: one pass over every batch

    def __post_init__(self) -> None:
        if self.questions < 1 or self.batch < 1 or self.neg_same < 0 or self.steps < 0 or self.other_sents < 0 \
                or self.neg_retrieved < 0:
            raise ValueError("questions and batch must be at least 1; neg_same, other_sents, neg_retrieved and steps at least 0")
        if self.neg_removed not in (0, 1):
            raise ValueError("neg_removed is 0 or 1 (whether to add the answer sentence without its answer)")
        if self.listwise < 0:
            raise ValueError("listwise is a loss weight (0 or more)")
        if not 0 <= self.neg_other <= 1:
            raise ValueError("neg_other is a probability (0..1)")
        if not 0 <= self.max_overlap <= 1 or not 0 <= self.overlap_mix <= 1:
            raise ValueError("max_overlap is a share of the question's words and overlap_mix a share of the questions (0..1)")
        if self.overlap_mix and self.max_overlap == 1:
            raise ValueError("overlap_mix mixes questions above max_overlap with those below it: set max_overlap below 1")
        if self.init and not Path(self.init).is_file():
            raise ValueError(f"{self.init}: no model to start from (--init wants an exported reader.onnx or sentences.onnx)")
        if not 32 <= self.max_tokens <= 512:
            raise ValueError("max_tokens must be between 32 and 512")


def scores(model, tokenizer, question: str, sentences: list[str], max_tokens: int) -> np.ndarray:
    """The torch model's logit for each sentence (its first window)."""
    import torch

    win = make_windows(tokenizer, question, sentences, max_tokens, 0)
    out = np.full(len(sentences), -1e4, dtype=np.float32)
    if not len(win):
        return out
    first = np.unique(win.passage, return_index=True)[1]
    win = win.select(first)
    with torch.no_grad():
        logits = model(input_ids=torch.from_numpy(win.input_ids), attention_mask=torch.from_numpy(win.attention_mask),
                       token_type_ids=torch.from_numpy(win.token_type_ids)).logits[:, 0].numpy()
    out[win.passage] = logits
    return out


def evaluate_dev(score, examples) -> float:
    """The share of ``examples`` whose answer sentence scores highest among its paragraph's sentences;
    ``score(question, sentences)`` gives one score per sentence (the torch model or the exported file)."""
    right = n = 0
    for ex in examples:
        span = answer_sentence(ex)
        sents = split_sentences(ex.context)
        if span is None or len(sents) < 2:
            continue
        a, b = sents[int(np.argmax(score(ex.question, [ex.context[a:b] for a, b in sents])))]
        right += a < span[1] and span[0] < b
        n += 1
    return right / max(n, 1)


def exported_dev_accuracy(scorer, settings: dict) -> float:
    """``evaluate_dev`` for an exported scorer, on the dev questions its training used (``settings``)."""
    s = SentenceTrainSettings(**settings)
    articles = load_squad(s.squad)
    dev_ids = split_articles(len(articles), s.dev_articles, s.seed)[1]
    return evaluate_dev(scorer.score, dev_examples(articles, dev_ids, s.dev_questions, s.seed))


def new_model(s: SentenceTrainSettings):
    """The cross-encoder to train: the base model with one logit; with ``s.init``, an exported
    sentence scorer's weights (a run that continues it) or an exported reader's encoder."""
    from transformers import AutoModelForQuestionAnswering, AutoModelForSequenceClassification

    from qa.reader.warm import load_into, onnx_weights
    from qa.retrieval.model_files import resolve_model

    base = resolve_model(s.base_model)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    weights = onnx_weights(Path(s.init)) if s.init else {}
    if "classifier.weight" in weights:
        load_into(model, Path(s.init), weights=weights)
    elif s.init:
        reader = AutoModelForQuestionAnswering.from_pretrained(base)
        words = reader.base_model.embeddings.word_embeddings.weight
        load_into(reader, Path(s.init), keep=tuple(n for n, p in reader.named_parameters() if p is words),
                  weights=weights)
        missing, unexpected = model.base_model.load_state_dict(reader.base_model.state_dict(), strict=False)
        if unexpected or any(not k.startswith("pooler") for k in missing):
            raise ValueError(f"{s.init}: its encoder does not fit the base model ({missing[:3]} {unexpected[:3]})")
    return model


def listwise_loss(logits, labels, group_sizes: list[int]):
    """The mean over groups of -log softmax(group's logits)[its positive]; a group with no positive
    or a single member adds nothing (its loss would be 0 or undefined)."""
    import torch

    losses = []
    for part, lab in zip(torch.split(logits, group_sizes), torch.split(labels, group_sizes)):
        if len(part) > 1 and bool((lab > 0).any()):
            losses.append(torch.logsumexp(part, 0) - part[lab > 0].max())
    return torch.stack(losses).mean() if losses else logits.sum() * 0.0


def train_sentences(s: SentenceTrainSettings, work: Path, log_path: Path, progress: bool = True,
                    max_steps: int | None = None, extra_groups: list | None = None) -> dict:
    """Run (or resume) training into ``work``; returns a summary. ``work/final`` holds the model.
    ``extra_groups`` (lists of (question, sentence, label)) are trained on beside SQuAD's groups."""
    import torch
    from transformers import AutoTokenizer

    from qa.retrieval.model_files import resolve_model

    if s.threads:
        torch.set_num_threads(s.threads)
    torch.manual_seed(s.seed)
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(s.base_model))
    articles = load_squad(s.squad)
    train_ids, dev_ids = split_articles(len(articles), s.dev_articles, s.seed)
    groups = sentence_groups(articles, train_ids, s) + [list(g) for g in extra_groups or ()]
    data = pair_arrays([p for g in groups for p in g], tokenizer, s.max_tokens,
                       [i for i, g in enumerate(groups) for _ in g])
    lengths = data["attention_mask"].sum(axis=1)
    # the rows of each group (rows are in group order); with ``listwise`` a batch is whole groups
    members = np.split(np.arange(len(lengths)), np.flatnonzero(np.diff(data["group"])) + 1) if len(lengths) else []
    units = np.asarray([lengths[m].max() for m in members]) if s.listwise else lengths
    dev = dev_examples(articles, dev_ids, s.dev_questions, s.seed)
    model = new_model(s)
    # a continued scorer's card (hash, command), kept in the checkpoint: the file may be replaced
    # (only a card that names that file: a reader's folder holds the shipped scorer's card too)
    path = Path(s.init).with_name("sentences.json") if s.init else None
    card = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    record = {"started_from": {k: v for k, v in card.items() if k in ("sha256", "command", "dev_accuracy")}
              | {"file": s.init} if card.get("file") == Path(s.init).name and not (work / "checkpoint.pt").exists()
              else None}
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def loss_of(model, idx):
        sizes = [len(members[g]) for g in idx] if s.listwise else None
        idx = np.concatenate([members[g] for g in idx]) if s.listwise else idx
        width = int(lengths[idx].max())
        feed = {k: torch.from_numpy(data[k][idx, :width]) for k in ("input_ids", "attention_mask", "token_type_ids")}
        logits, labels = model(**feed).logits[:, 0], torch.from_numpy(data["label"][idx])
        loss = loss_fn(logits, labels)
        return loss + s.listwise * listwise_loss(logits, labels, sizes) if s.listwise else loss

    def evaluate() -> dict:
        return {"dev_accuracy": evaluate_dev(lambda q, sents: scores(model, tokenizer, q, sents, s.max_tokens), dev)}

    out = run(model, s, batch_order(units, s.batch, s.seed), loss_of, evaluate, work,
              TrainLog(log_path, "pairs", ("dev_accuracy",)), progress, max_steps, record)
    summary = {"steps": out.steps, "total_steps": out.total, "pairs": int(len(lengths)),
               "positives": int(data["label"].sum()), "first_loss": out.first_loss, "last_loss": out.last_loss,
               "seconds": out.seconds, "settings": asdict(s), "resumed_with_changes": out.changes, "work": str(work)}
    if out.record.get("started_from"):
        summary["started_from"] = out.record["started_from"]
    if out.steps == out.total:
        save_final(model, tokenizer, work, summary)
    return summary
