"""A trained reader (a Hugging Face folder) -> one ONNX file, int8 by default, with a card beside it.

The card (``reader.json``) records what the query path needs (window size, stride, the tokenizer
file) and what a reviewer needs: the file's SHA-256, the training settings and summary, and the
command that made it. Only the export needs torch.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_reader(model_dir: Path, out: Path, quantize: bool = True, command: str | None = None) -> dict:
    """Write ``out`` (ONNX), ``out``'s tokenizer.json and card beside it; returns the card.

    Raises FileNotFoundError when ``model_dir`` holds no trained model.
    """
    import torch
    from transformers import AutoModelForQuestionAnswering

    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir}: no trained reader there (run `qa train-reader` first)")
    model = AutoModelForQuestionAnswering.from_pretrained(str(model_dir))
    model.eval()

    class Spans(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            o = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return o.start_logits, o.end_logits

    _write_onnx(Spans(), ["start_logits", "end_logits"], out, quantize)
    tokenizer_src = model_dir / "tokenizer.json"
    shutil.copy(tokenizer_src, out.with_name("tokenizer.json"))
    training = json.loads((model_dir / "training.json").read_text(encoding="utf-8")) \
        if (model_dir / "training.json").is_file() else {}
    settings = training.get("settings", {})
    card = {
        "file": out.name,
        "sha256": sha256(out),
        "bytes": out.stat().st_size,
        "weights": "int8 (dynamic quantisation, per channel)" if quantize else "fp32",
        "tokenizer": "tokenizer.json",
        "max_tokens": settings.get("max_tokens", 192),
        "stride": settings.get("stride", 64),
        "base_model": settings.get("base_model", ""),
        "training": training,
        "command": command or _command(training),
        "torch": torch.__version__,
    }
    out.with_name("reader.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"qa: wrote {out} ({card['bytes'] / 1e6:.1f} MB, {card['weights']})", file=sys.stderr)
    return card


def _write_onnx(module, outputs: list[str], out: Path, quantize: bool) -> None:
    """Export the torch ``module`` (inputs INPUTS, ``outputs``) to ``out``, int8 when ``quantize``."""
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        dummy = tuple(torch.ones((2, 16), dtype=torch.long) for _ in INPUTS)
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, dummy, str(fp32), input_names=list(INPUTS), output_names=outputs,
                              opset_version=OPSET, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*INPUTS, *outputs]})
        final = Path(tmp) / "final.onnx"
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # per channel: per tensor cost 2.2 F1 points on the dev split (0.631 against fp32's 0.653),
            # per channel none (0.657), at the same speed
            quantize_dynamic(str(fp32), str(final), weight_type=QuantType.QInt8, per_channel=True)
        else:
            shutil.copy(fp32, final)
        shutil.move(str(final), str(out))


def export_sentences(model_dir: Path, out: Path, quantize: bool = True, command: str = "") -> dict:
    """Write the sentence scorer ``out`` (ONNX, one logit per pair) and its card ``sentences.json``
    beside it, with the model's tokenizer.json when none is there yet (beside the packaged file it
    is the reader's, the same); returns the card."""
    import torch
    from transformers import AutoModelForSequenceClassification

    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir}: no trained sentence scorer there (run `qa train-sentences` first)")
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    model.eval()

    class Logit(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    _write_onnx(Logit(), ["logits"], out, quantize)
    if not out.with_name("tokenizer.json").is_file() and (model_dir / "tokenizer.json").is_file():
        shutil.copy(model_dir / "tokenizer.json", out.with_name("tokenizer.json"))
    training = json.loads((model_dir / "training.json").read_text(encoding="utf-8")) \
        if (model_dir / "training.json").is_file() else {}
    settings = training.get("settings", {})
    card = {"file": out.name, "sha256": sha256(out), "bytes": out.stat().st_size,
            "weights": "int8 (dynamic quantisation, per channel)" if quantize else "fp32",
            "tokenizer": "tokenizer.json", "max_tokens": settings.get("max_tokens", 128),
            "base_model": settings.get("base_model", ""), "training": training,
            "command": command or (_earlier_export(training.get("started_from") or {}) + " && ").lstrip(" &")
            + "qa train-sentences " + sentence_flags(settings) + _work_flags(training.get("work", ".sentences-train")),
            "torch": torch.__version__}
    out.with_name("sentences.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"qa: wrote {out} ({card['bytes'] / 1e6:.1f} MB, {card['weights']})", file=sys.stderr)
    return card


SENTENCE_FLAGS = ("init", "questions", "skip", "neg_same", "neg_other", "other_sents", "neg_retrieved", "neg_removed",
                  "max_overlap", "overlap_mix", "listwise", "batch", "lr", "seed", "steps")
# flags whose default is not 0 and that a command leaves out at their default
UNSAID = {"max_overlap": 1.0}


def sentence_flags(settings: dict) -> str:
    """The ``qa train-sentences`` flags of a run's ``settings`` (those set, in SENTENCE_FLAGS' order)."""
    return " ".join(f"--{n.replace('_', '-')} {settings[n]}" for n in SENTENCE_FLAGS
                    if settings.get(n) not in (None, "", 0) and settings.get(n) != UNSAID.get(n))


def _earlier_export(started_from: dict) -> str:
    """The commands that made the scorer a run started from, with its export's ``--out`` when the
    run read it from elsewhere than the packaged file (so the chain runs as written)."""
    from qa.reader.sentences import SENTENCES_PATH

    earlier, file = started_from.get("command", ""), started_from.get("file", "")
    if earlier and file and Path(file).resolve() != SENTENCES_PATH.resolve():
        earlier += f" --out {file}"
    return earlier


def _work_flags(work: str) -> str:
    """The scorer's own --work (when not the default), then its export from there."""
    if work == ".sentences-train":
        return " && qa export-sentences"
    return f" --work {work} && qa export-sentences --model {work}/final"


def _command(training: dict) -> str:
    """The commands that made the model: those of the reader it started from (if any), then its own."""
    settings = training.get("settings", {})
    names = ("questions", "skip", "max_tokens", "stride", "neg_same", "neg_other", "neg_cut", "batch", "lr", "seed", "steps", "init")
    flags = " ".join(f"--{n.replace('_', '-')} {settings[n]}" for n in names if settings.get(n) not in (None, "", 0))
    work = training.get("work", ".reader-train")
    own = f"qa train-reader {flags}" + (f" --work {work}" if work != ".reader-train" else "") \
        + " && qa export-reader" + (f" --model {work}/final" if work != ".reader-train" else "")
    earlier = (training.get("started_from") or {}).get("command", "")
    return f"{earlier} && {own}" if earlier else own
