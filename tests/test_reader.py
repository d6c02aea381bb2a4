"""The reader stage: windows, span decoding, SQuAD metrics, training a tiny model, export, reading.

A tiny BERT (2 layers, 32 wide) with the real tokenizer stands in for the trained reader, so the
training and export code run in the fast suite; the shipped reader is tested in test_reader_model.py.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.reader.decode import best_spans
from qa.reader.squad import exact_match, f1_score, load_squad, normalize_answer, split_articles
from qa.reader.data import batch_order
from qa.reader.train import TrainSettings, train
from qa.reader.windows import make_windows
from qa.retrieval.model_files import resolve_model


@pytest.fixture(scope="module")
def hf_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model("all-MiniLM-L6-v2"))


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(Path(resolve_model("all-MiniLM-L6-v2")) / "tokenizer.json"))


PASSAGE = ("The Strategic Framework for Space Diplomacy was released in May 2023. It sets out how the "
           "Department of State will use diplomacy to advance space policy. ") * 8


def test_windows_match_the_transformers_tokenizer(hf_tokenizer, tokenizer):
    """The windows are those of transformers' usual QA preprocessing (truncation only_second with
    overflow and stride), with the same word pieces, type ids and character offsets."""
    q = "When was the framework released?"
    passages = [PASSAGE, "", "Короткий текст на русском языке и 中文文本。"]
    win = make_windows(tokenizer, q, passages, 64, 16)
    enc = hf_tokenizer([q] * 2, [passages[0], passages[2]], truncation="only_second", max_length=64, stride=16,
                       return_overflowing_tokens=True, return_offsets_mapping=True)
    assert len(win) == len(enc["input_ids"]) > 2
    for w in range(len(win)):
        n = len(enc["input_ids"][w])
        assert win.input_ids[w, :n].tolist() == enc["input_ids"][w]
        assert win.token_type_ids[w, :n].tolist() == enc["token_type_ids"][w]
        seq = enc.sequence_ids(w)
        want = [tuple(o) if s == 1 else (-1, -1) for o, s in zip(enc["offset_mapping"][w], seq)]
        assert [tuple(o) for o in win.offsets[w, :n].tolist()] == want
    assert set(win.passage.tolist()) == {0, 2}  # the empty passage makes no window


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from("abc xyz 12,.-éß中\n"), min_size=1, max_size=400))
def test_window_offsets_are_passage_characters(tokenizer, text):
    win = make_windows(tokenizer, "what is it?", [text], 48, 8)
    for w in range(len(win)):
        for s, e in win.offsets[w][win.context_mask()[w]]:
            assert 0 <= s < e <= len(text)
            assert text[s:e].strip()


def test_windows_reject_bad_sizes(tokenizer):
    with pytest.raises(ValueError, match="max_tokens"):
        make_windows(tokenizer, "q", ["p"], 8, 0)
    with pytest.raises(ValueError, match="stride"):
        make_windows(tokenizer, "q", ["p"], 64, 40)
    assert len(make_windows(tokenizer, "", ["some text"])) == 0


def test_best_spans_by_hand():
    # window of 5 tokens: [CLS]=0, question=1, passage tokens 2..4 with offsets (0,3) (4,7) (8,11)
    offsets = np.array([[[-1, -1], [-1, -1], [0, 3], [4, 7], [8, 11]]])
    start = np.array([[1.0, 9.0, 0.5, 2.0, 0.0]])
    end = np.array([[1.0, 9.0, 0.0, 1.0, 3.0]])
    spans = best_spans(start, end, offsets, np.array([7]), max_answer_tokens=30, per_window=2)
    # best: start token 3 (2.0) + end token 4 (3.0) = 5.0 -> characters [4, 11); question tokens excluded
    assert (spans[0].passage, spans[0].start, spans[0].end, spans[0].score) == (7, 4, 11, 5.0)
    assert spans[0].null == 2.0
    # second: start 2 (0.5) + end 4 (3.0) = 3.5
    assert (spans[1].start, spans[1].end, spans[1].score) == (0, 11, 3.5)
    # a span may not end before it starts nor run past max_answer_tokens
    short = best_spans(start, end, offsets, np.array([0]), max_answer_tokens=1, per_window=5)
    assert all(s.start < s.end for s in short) and {(s.start, s.end) for s in short} == {(0, 3), (4, 7), (8, 11)}


def test_squad_metrics_by_hand():
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"
    assert exact_match("the Eiffel tower", ["Eiffel Tower"]) == 1.0
    assert exact_match("Eiffel", ["Eiffel Tower"]) == 0.0
    # F1 of "eiffel" against "eiffel tower": precision 1, recall 1/2 -> 2/3
    assert f1_score("Eiffel", ["Eiffel Tower"]) == pytest.approx(2 / 3)
    assert f1_score("nothing alike", ["Eiffel Tower"]) == 0.0


def test_split_articles_is_disjoint_and_seeded():
    train_ids, dev_ids = split_articles(20, 4, seed=1)
    assert len(dev_ids) == 4 and not set(train_ids) & set(dev_ids) and len(train_ids) + 4 == 20
    assert split_articles(20, 4, seed=1) == (train_ids, dev_ids)


def test_batch_order_covers_every_window_once():
    lengths = np.arange(103) % 17
    batches = batch_order(lengths, 4, seed=3, bucket=5)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(103))
    assert [b.tolist() for b in batch_order(lengths, 4, seed=3, bucket=5)] == [b.tolist() for b in batches]


def _tiny_squad(path: Path) -> Path:
    """Three articles of made-up capitals (one held out as dev), three questions each."""
    syllables = ["ka", "lo", "mi", "ren", "tas", "vo", "zel", "dor"]
    articles = []
    for a in range(3):
        paragraphs = []
        for i in range(12):
            city = (syllables[(i + a) % 8] + syllables[(3 * i + a) % 8] + syllables[i % 5]).title()
            country = (syllables[(5 * i + 2 * a) % 8] + syllables[(i + 1) % 8] + "ia").title()
            ctx = f"The museums of {city} are old. {city} is the capital of {country}. Its streets are narrow."
            at = ctx.index(city, 20)
            qs = [f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                  f"Name the capital of {country}."]
            paragraphs.append({"context": ctx, "qas": [{"id": f"{a}-{i}-{k}", "question": q,
                                                        "answers": [{"text": city, "answer_start": at}]}
                                                       for k, q in enumerate(qs)]})
        articles.append({"title": f"A{a}", "paragraphs": paragraphs})
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({"version": "1.1", "data": articles}, f)
    return path


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT with the real tokenizer, saved as a model folder."""
    from transformers import BertConfig, BertForQuestionAnswering

    folder = tmp_path_factory.mktemp("tiny-bert")
    src = Path(resolve_model("all-MiniLM-L6-v2"))
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)
    BertForQuestionAnswering(cfg).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (src / name).is_file():
            shutil.copy(src / name, folder / name)
    return folder


def _settings(tiny_base, squad, **kw) -> TrainSettings:
    base = dict(base_model=str(tiny_base), squad=str(squad), questions=400, dev_articles=1, dev_questions=2,
                max_tokens=64, stride=16, batch=4, lr=3e-3, warmup=0.0, eval_every=1000, seed=5,
                checkpoint_minutes=1000.0, freeze_embeddings=False)
    return TrainSettings(**{**base, **kw})


def test_load_squad_checks_the_file(tmp_path):
    squad = _tiny_squad(tmp_path / "s.json.gz")
    articles = load_squad(squad)
    assert len(articles) == 3 and articles[0][0][0].context.startswith("The museums of")
    with pytest.raises(FileNotFoundError, match="no SQuAD file"):
        load_squad(tmp_path / "missing.json.gz")
    (tmp_path / "bad.json").write_text('{"x": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match="not SQuAD-format"):
        load_squad(tmp_path / "bad.json")


def test_tiny_reader_trains_its_loss_falls_and_it_resumes(tmp_path, tiny_base):
    squad = _tiny_squad(tmp_path / "s.json.gz")
    s = _settings(tiny_base, squad)
    work, log = tmp_path / "work", tmp_path / "log.csv"
    first = train(s, work, log, progress=False, max_steps=3)
    assert first["steps"] == 3 and (work / "checkpoint.pt").is_file() and not (work / "final").exists()
    done = train(s, work, log, progress=False)  # resumes from step 3 and finishes
    assert done["steps"] == done["total_steps"] > 3
    assert (work / "final" / "config.json").is_file()
    rows = log.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("step,windows,loss")
    losses = [float(r.split(",")[2]) for r in rows[1:]]
    assert losses[-1] < 0.85 * first["first_loss"], (first["first_loss"], losses)  # a mean over all steps
    assert done["first_loss"] == first["first_loss"]   # the run's first loss, not the resumed process's
    with pytest.raises(ValueError, match="other settings"):
        train(_settings(tiny_base, squad, lr=1e-3), work, log, progress=False)


@pytest.fixture(scope="module")
def tiny_reader(tmp_path_factory, tiny_base):
    """The tiny model, trained briefly and exported to int8 ONNX as the shipped reader is."""
    from qa.reader.export import export_reader

    tmp = tmp_path_factory.mktemp("tiny-reader")
    squad = _tiny_squad(tmp / "s.json.gz")
    train(_settings(tiny_base, squad, questions=24), tmp / "work", tmp / "log.csv", progress=False)
    card = export_reader(tmp / "work" / "final", tmp / "out" / "reader.onnx", quantize=True)
    assert card["sha256"] and card["max_tokens"] == 64 and "qa train-reader" in card["command"]
    return tmp / "out" / "reader.onnx"


def test_reader_spans_are_verbatim_with_offsets(tiny_reader):
    from qa.reader.model import Reader

    reader = Reader(tiny_reader)
    passages = ["The museums of Kalo are old. Kalo is the capital of Renia.", "", PASSAGE,
                "Вена — столица Австрии.", "the of and " * 2000]
    reading = reader.read("What is the capital of Renia?", passages)
    assert reading.spans and len(reading.nulls) == len(reading.window_passage)
    for sp in reading.spans:
        text = passages[sp.passage]
        assert 0 <= sp.start < sp.end <= len(text) and text[sp.start:sp.end].strip()
    assert 1 not in {sp.passage for sp in reading.spans}  # the empty passage is not read
    assert reader.read("the of and", ["Paris is the capital of France."]).spans  # stop words still read
    assert reader.read("What?", []).spans == ()


def test_missing_reader_is_a_clear_error(tmp_path):
    from qa.reader.model import Reader, ReaderError

    with pytest.raises(ReaderError, match="reader model is missing"):
        Reader(tmp_path / "nothing.onnx")


def test_a_run_continues_from_an_exported_reader(tmp_path, tiny_base, tiny_reader):
    """--init: the exported reader's weights (int8, dequantised) go into the model a new run starts
    from, so it reads as the exported one does; the new run records where it started, and its
    card's command holds both runs' commands."""
    import torch
    from transformers import AutoModelForQuestionAnswering

    from qa.reader.export import export_reader
    from qa.reader.model import Reader
    from qa.reader.warm import load_into

    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny_base))
    load_into(model, tiny_reader)
    reader = Reader(tiny_reader)
    win = reader.windows("What is the capital of Renia?", ["The museums of Kalo are old. Kalo is the capital of Renia."])
    feed = {k: getattr(win, k).astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    onnx_start = reader.session.run(None, feed)[0]
    with torch.no_grad():
        torch_start = model(**{k: torch.from_numpy(v) for k, v in feed.items()}).start_logits.numpy()
    mask = win.attention_mask.astype(bool)
    assert np.corrcoef(onnx_start[mask], torch_start[mask])[0, 1] > 0.98
    fresh = AutoModelForQuestionAnswering.from_pretrained(str(tiny_base)).qa_outputs.weight
    assert not torch.allclose(model.qa_outputs.weight, fresh)   # the span head is the trained one

    squad = _tiny_squad(tmp_path / "s.json.gz")
    s = _settings(tiny_base, squad, questions=12, init=str(tiny_reader), skip=12)
    done = train(s, tmp_path / "work", tmp_path / "log.csv", progress=False)
    assert done["started_from"]["file"] == str(tiny_reader) and done["started_from"]["sha256"]
    card = export_reader(tmp_path / "work" / "final", tmp_path / "out" / "reader.onnx")
    assert card["command"].count("qa train-reader") == 2 and f"--init {tiny_reader}" in card["command"]
    with pytest.raises(ValueError, match="no reader to start from"):
        _settings(tiny_base, squad, init=str(tmp_path / "none.onnx"))


def _best_spans_square(start_logits, end_logits, offsets, passage, max_answer_tokens, per_window):
    """The decoding as first written: every (start, end) pair of the n x n square, the disallowed
    ones -inf, and the same partial sort; best_spans computes only the band and must agree."""
    from qa.reader.decode import SpanScore, _top

    out = []
    for w in range(start_logits.shape[0]):
        ok = offsets[w, :, 0] >= 0
        if not ok.any():
            continue
        s = np.where(ok, start_logits[w], -np.inf)
        e = np.where(ok, end_logits[w], -np.inf)
        n = len(s)
        i, j = np.indices((n, n))
        pair = np.where((j >= i) & (j < i + max_answer_tokens), s[:, None] + e[None, :], -np.inf)
        null = float(start_logits[w, 0] + end_logits[w, 0])
        for k in _top(pair.ravel(), per_window):
            a, b = divmod(int(k), n)
            if not np.isfinite(pair[a, b]):
                break
            out.append(SpanScore(int(passage[w]), int(offsets[w, a, 0]), int(offsets[w, b, 1]), float(pair[a, b]),
                                 null, w))
    out.sort(key=lambda sp: -sp.score)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_best_spans_equals_the_full_square_ties_included(seed):
    """The band decoding gives the spans, scores and order of the n x n one; logits of a few
    whole values make many ties, some windows are mostly or wholly outside the passage."""
    rng = np.random.default_rng(seed)
    windows, n = int(rng.integers(1, 4)), int(rng.integers(1, 40))
    start = rng.integers(-3, 4, size=(windows, n)).astype(np.float32)
    end = rng.integers(-3, 4, size=(windows, n)).astype(np.float32)
    offsets = np.stack([np.arange(n) * 5, np.arange(n) * 5 + 4], axis=-1)[None].repeat(windows, 0)
    offsets[rng.random((windows, n)) < rng.random()] = -1
    passage = rng.integers(0, 3, size=windows)
    for max_tokens, per_window in ((1, 1), (3, 2), (30, 3), (50, 200)):
        got = best_spans(start, end, offsets, passage, max_tokens, per_window)
        assert got == _best_spans_square(start, end, offsets, passage, max_tokens, per_window)
