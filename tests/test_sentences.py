"""The sentence scorer: its SQuAD pairs, a tiny model that trains, resumes and exports, and the
shipped scorer's judgement of sentences (a broken or untrained scorer fails here in seconds)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_reader import _tiny_squad, tiny_base  # noqa: F401  (the tiny BERT fixture and SQuAD file)

from qa.reader.sentence_data import (answer_sentence, other_sentences, sentence_groups, sentence_pairs, without_answer,
                                     word_overlap)
from qa.reader.sentence_train import SentenceTrainSettings, train_sentences
from qa.reader.squad import Example, load_squad


def _settings(base, squad, **kw) -> SentenceTrainSettings:
    d = dict(base_model=str(base), squad=str(squad), questions=300, dev_articles=1, dev_questions=6, max_tokens=48,
             batch=4, lr=5e-4, warmup=0.0, neg_other=0.0, freeze_embeddings=False, eval_every=1000, seed=5, checkpoint_minutes=1000.0)
    return SentenceTrainSettings(**{**d, **kw})


def test_answer_sentence_and_the_others_by_hand():
    ctx = "The museums of Kalo are old. Kalo is the capital of Renia. Its streets are narrow."
    ex = Example("q", 0, 0, "What is the capital of Renia?", ctx, "Kalo", ctx.index("Kalo", 20))
    assert answer_sentence(ex) == (29, 58) and ctx[29:58] == "Kalo is the capital of Renia."
    # the first sentence holds the answer's word too: it is no negative
    assert other_sentences(ex, (29, 58)) == ["Its streets are narrow."]
    across = Example("q", 0, 0, "?", ctx, "old. Kalo", ctx.index("old."))
    assert answer_sentence(across) == (0, 58)   # an answer across two sentences: both are the quote


def test_pairs_are_labelled_and_seeded(tmp_path):
    articles = load_squad(_tiny_squad(tmp_path / "s.json.gz"))
    s = _settings("unused", "unused", questions=20, neg_same=1, neg_other=1.0)
    pairs = sentence_pairs(articles, [0, 1], s)
    assert pairs == sentence_pairs(articles, [0, 1], s)
    pos = [p for p in pairs if p[2] == 1]
    assert len(pos) == 20 and all(" is the capital of " in sent for _, sent, _ in pos)
    neg = [p for p in pairs if p[2] == 0]
    assert neg and all(" is the capital of " not in sent or sent.split()[0] not in q for q, sent, _ in neg)


def test_groups_hold_one_question_each_answer_first(tmp_path):
    articles = load_squad(_tiny_squad(tmp_path / "s.json.gz"))
    s = _settings("unused", "unused", questions=20, neg_same=1, neg_other=1.0)
    groups = sentence_groups(articles, [0, 1], s)
    assert [p for g in groups for p in g] == sentence_pairs(articles, [0, 1], s)
    assert all(g[0][2] == 1 and all(lab == 0 for _, _, lab in g[1:]) and len({q for q, _, _ in g}) == 1 for g in groups)
    more = sentence_groups(articles, [0, 1], _settings("unused", "unused", questions=20, neg_same=1, neg_other=1.0,
                                                       other_sents=3))
    assert sum(map(len, more)) > sum(map(len, groups)) and [g[:2] for g in more] == [g[:2] for g in groups]


def test_word_overlap_by_hand():
    # content words of the question: capital, renia, city (stop words dropped); the sentence holds two
    assert word_overlap("Which city is the capital of Renia?", "Kalo is the capital of Renia.") == pytest.approx(2 / 3)
    assert word_overlap("Where is the seat of government?", "Kalo is the capital of Renia.") == 0.0
    assert word_overlap("Is it?", "Anything.") == 1.0   # no content word: never counted as paraphrased


def test_paraphrased_questions_only_with_max_overlap(tmp_path):
    articles = load_squad(_tiny_squad(tmp_path / "s.json.gz"))
    every = sentence_groups(articles, [0, 1], _settings("unused", "unused", questions=72, neg_same=1))
    low = sentence_groups(articles, [0, 1], _settings("unused", "unused", questions=10, neg_same=1, max_overlap=0.7))
    shares = {g[0][0]: word_overlap(g[0][0], g[0][1]) for g in every}
    assert len(low) == 10 and all(word_overlap(g[0][0], g[0][1]) <= 0.7 for g in low)
    # the first ten such questions of the same shuffled order, no other
    assert [g[0][0] for g in low] == [q for q in (g[0][0] for g in every) if shares[q] <= 0.7][:10]
    assert any(v > 0.7 for v in shares.values())
    # half of them from the questions above the bound instead, each half in the same order
    mixed = sentence_groups(articles, [0, 1], _settings("unused", "unused", questions=10, neg_same=1, max_overlap=0.7,
                                                        overlap_mix=0.5))
    order = [g[0][0] for g in every]
    assert sorted(g[0][0] for g in mixed) == sorted([q for q in order if shares[q] <= 0.7][:5]
                                                    + [q for q in order if shares[q] > 0.7][:5])
    with pytest.raises(ValueError, match="max_overlap"):
        _settings("unused", "unused", max_overlap=1.5)
    with pytest.raises(ValueError, match="set max_overlap below 1"):
        _settings("unused", "unused", overlap_mix=0.5)


def test_retrieved_negatives_come_from_another_article_by_hand():
    def ex(a, p, question, ctx, answer):
        return Example(f"{a}-{p}", a, p, question, ctx, answer, ctx.index(answer))

    kalo = "Kalo is the capital of Renia. Its streets are narrow."
    fair = "Renia has a long coast. The capital of Renia hosts a fair each spring. Bread is cheap."
    articles = [[[ex(0, 0, "What is the capital of Renia?", kalo, "Kalo")],
                 [ex(0, 1, "Which river flows in Dorn?", "Mito is a river of Dorn. Fish live there.", "Mito")]],
                [[ex(1, 0, "What is cheap?", fair, "Bread")]]]
    s = _settings("unused", "unused", questions=3, neg_same=0, neg_retrieved=1)
    groups = {g[0][0]: g for g in sentence_groups(articles, [0, 1], s)}
    # the other article's paragraph BM25 ranks first; of it, the sentence sharing most words
    assert groups["What is the capital of Renia?"] == [
        ("What is the capital of Renia?", "Kalo is the capital of Renia.", 1),
        ("What is the capital of Renia?", "The capital of Renia hosts a fair each spring.", 0)]
    # only its own article speaks of rivers or of what is cheap: no retrieved negative
    assert len(groups["Which river flows in Dorn?"]) == len(groups["What is cheap?"]) == 1
    without = sentence_groups(articles, [0, 1], _settings("unused", "unused", questions=3, neg_same=0))
    assert all(len(g) == 1 for g in without)


def test_the_answer_taken_out_by_hand():
    def out(sentence, answer):
        return without_answer(sentence, sentence.index(answer), sentence.index(answer) + len(answer))

    # the word that would dangle goes with the answer, and the space before the comma
    assert out("The second session was held in Geneva, from 1 to 5 April 2013.", "Geneva") == \
        "The second session was held, from 1 to 5 April 2013."
    assert out("Beyoncé was born in 1981 in Houston.", "1981") == "Beyoncé was born in Houston."
    # an answer in brackets takes the brackets with it; one that opens the sentence, its capital
    assert out("The chain has 32,000 stores (in 80 countries) today.", "80 countries") == \
        "The chain has 32,000 stores today."
    assert out("The Dean of the College of Cardinals also receives the see of Ostia.",
               "The Dean of the College of Cardinals") == "Also receives the see of Ostia."
    # a doubled comma is one comma
    assert out("For Whitehead, creativity is the principle, and every entity is new.", "creativity is the principle") \
        == "For Whitehead, and every entity is new."
    # part of a word, still in what is left, or too little left: no negative
    assert out("The airfield has flights (as from September 2010) each week.", "1") is None
    assert out("It typically offers three-year diplomas to its students.", "three") is None
    assert out("Kalo is Kalo, the capital of Renia.", "Kalo") is None
    assert out("It is Kalo.", "Kalo") is None


def test_groups_add_the_answer_sentence_without_its_answer(tmp_path):
    articles = load_squad(_tiny_squad(tmp_path / "s.json.gz"))
    s = _settings("unused", "unused", questions=20, neg_same=1, neg_other=1.0)
    plain = sentence_groups(articles, [0, 1], s)
    removed = sentence_groups(articles, [0, 1], _settings("unused", "unused", questions=20, neg_same=1,
                                                          neg_other=1.0, neg_removed=1))
    assert len(removed) == len(plain) == 20
    for g, before in zip(removed, plain):
        # the same draws, then "[Kalo] is the capital of Renia." without its answer, as a negative
        country = before[0][1].split(" is the capital of ")[1]
        assert g == before + [(before[0][0], f"Is the capital of {country}", 0)]
    with pytest.raises(ValueError, match="neg_removed"):
        _settings("unused", "unused", neg_removed=2)


def test_a_chain_of_runs_names_an_export_made_elsewhere():
    from qa.reader.export import _earlier_export
    from qa.reader.sentences import SENTENCES_PATH

    assert _earlier_export({"command": "qa export-sentences", "file": str(SENTENCES_PATH)}) == "qa export-sentences"
    assert _earlier_export({"command": "qa export-sentences --model w/final", "file": "/tmp/s/sentences.onnx"}) \
        == "qa export-sentences --model w/final --out /tmp/s/sentences.onnx"
    assert _earlier_export({}) == ""


def test_the_card_command_names_every_flag_set():
    from qa.reader.export import sentence_flags

    base = {"init": "a.onnx", "questions": 3000, "skip": 0, "neg_same": 4, "neg_removed": 0, "lr": 2e-05}
    assert sentence_flags(base | {"max_overlap": 1.0, "overlap_mix": 0.0}) == \
        "--init a.onnx --questions 3000 --neg-same 4 --lr 2e-05"
    assert sentence_flags(base | {"max_overlap": 0.34, "overlap_mix": 0.5}) == \
        "--init a.onnx --questions 3000 --neg-same 4 --max-overlap 0.34 --overlap-mix 0.5 --lr 2e-05"


def test_listwise_loss_by_hand():
    import torch

    from qa.reader.sentence_train import listwise_loss

    logits = torch.tensor([2.0, 0.0, 0.0, 0.0, 1.0, 5.0, 3.0, -1.0])
    labels = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    # groups: [2, 0, 0] answer first; [0, 1] answer second; [5] alone (nothing); [3, -1] no answer (nothing)
    want = ((np.log(np.e ** 2 + 2) - 2) + (np.log(1 + np.e) - 1)) / 2
    assert float(listwise_loss(logits, labels, [3, 2, 1, 2])) == pytest.approx(want, abs=1e-6)
    assert float(listwise_loss(logits[5:6], labels[5:6], [1])) == 0.0


def _ranking(model, tokenizer, pairs, max_tokens) -> float:
    """The share of (positive, negative) pairs the model orders right: its AUC on ``pairs``."""
    from qa.reader.sentence_train import scores

    model.eval()
    z = {0: [], 1: []}
    for question, sentence, label in pairs:
        z[label].append(float(scores(model, tokenizer, question, [sentence], max_tokens)[0]))
    return float(np.mean(np.array(z[1])[:, None] > np.array(z[0])[None, :]))


def test_tiny_scorer_trains_resumes_and_exports(tmp_path, tiny_base):  # noqa: F811
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from qa.reader.export import export_sentences
    from qa.reader.sentence_train import new_model, scores
    from qa.reader.sentences import SentenceScorer
    from qa.reader.squad import split_articles

    squad = _tiny_squad(tmp_path / "s.json.gz")
    s = _settings(tiny_base, squad)
    work, log = tmp_path / "work", tmp_path / "log.csv"
    first = train_sentences(s, work, log, progress=False, max_steps=3)
    assert first["steps"] == 3 and not (work / "final").exists()
    done = train_sentences(s, work, log, progress=False)
    assert done["steps"] == done["total_steps"] > 3 and done["first_loss"] == first["first_loss"]
    rows = log.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "step,pairs,loss,lr,seconds,dev_accuracy" and rows[-1].split(",")[5]
    with pytest.raises(ValueError, match="other settings"):
        train_sentences(_settings(tiny_base, squad, lr=1e-3), work, log, progress=False)

    # it learnt which sentence answers: the trained model orders its training pairs, the untrained does not
    articles = load_squad(squad)
    pairs = sentence_pairs(articles, split_articles(len(articles), s.dev_articles, s.seed)[0], s)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    trained = AutoModelForSequenceClassification.from_pretrained(str(work / "final"))
    torch.manual_seed(s.seed)
    assert _ranking(trained, tokenizer, pairs, s.max_tokens) >= 0.95 > _ranking(new_model(s), tokenizer, pairs, s.max_tokens)

    out = tmp_path / "out" / "sentences.onnx"
    card = export_sentences(work / "final", out, quantize=False)
    assert (out.parent / "tokenizer.json").read_bytes() == (work / "final" / "tokenizer.json").read_bytes()
    assert card["sha256"] and card["max_tokens"] == 48 and card["command"].startswith("qa train-sentences")
    scorer = SentenceScorer(out)
    sentences = ["Kalo is the capital of Renia.", "", "Its streets are narrow.", "word " * 400]
    got = scorer.score("What is the capital of Renia?", sentences)
    assert got.shape == (4,) and got[1] == -1e4 and np.isfinite(got).all()
    # the exported file scores as the torch model does (a long sentence on its first window)
    want = scores(trained, tokenizer, "What is the capital of Renia?", sentences, s.max_tokens)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)

    # a run that continues the exported scorer starts from its weights (listwise loss, whole groups)
    more = _settings(tiny_base, squad, init=str(out), listwise=1.0, neg_same=2, batch=2, lr=1e-4)
    start = new_model(more).eval()
    np.testing.assert_allclose(scores(start, tokenizer, "What is the capital of Renia?", sentences, s.max_tokens),
                               want, rtol=1e-4, atol=1e-5)
    again = train_sentences(more, tmp_path / "more", tmp_path / "more.csv", progress=False)
    assert again["steps"] == again["total_steps"] and again["last_loss"] < 2.0
    assert again["started_from"]["sha256"] == card["sha256"] and again["started_from"]["file"] == str(out)
    # a file the card beside it does not name (a reader's folder holds the scorer's card too): no record
    other = out.with_name("other.onnx")
    other.write_bytes(out.read_bytes())
    odd = train_sentences(_settings(tiny_base, squad, init=str(other), listwise=1.0, neg_same=2, batch=2),
                          tmp_path / "odd", tmp_path / "odd.csv", progress=False, max_steps=1)
    assert "started_from" not in odd
    card2 = export_sentences(tmp_path / "more" / "final", tmp_path / "out2" / "sentences.onnx", quantize=False)
    # the first export went elsewhere than the packaged file: the chain says where, as it was run
    assert card2["command"].startswith(card["command"] + f" --out {out} && qa train-sentences --init {out} ")
    assert card2["command"].endswith(f"--work {tmp_path / 'more'} && qa export-sentences --model {tmp_path / 'more'}/final")
    cont = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "more" / "final"))
    assert _ranking(cont, tokenizer, pairs, s.max_tokens) >= 0.95


def test_missing_scorer_is_a_clear_error(tmp_path):
    from qa.reader.model import ReaderError
    from qa.reader.sentences import SentenceScorer

    with pytest.raises(ReaderError, match="sentence scorer is missing"):
        SentenceScorer(tmp_path / "nothing.onnx")


def test_shipped_scorer_ranks_the_answering_sentence_first():
    from qa.reader.export import sha256
    from qa.reader.sentences import SENTENCES_PATH, SentenceScorer

    scorer = SentenceScorer(SENTENCES_PATH)
    assert scorer.card["sha256"] == sha256(SENTENCES_PATH) and SENTENCES_PATH.stat().st_size <= 50_000_000
    cases = [
        ("When was the Strategic Framework for Space Diplomacy released?",
         ["The framework names three lines of effort.",
          "The Department of State released the Strategic Framework for Space Diplomacy in May 2023.",
          "Space is increasingly congested and contested."], 1),
        ("Where was the second session of the Group held?",
         ["The first and third sessions were held in New York.",
          "The Group adopted its report by consensus.",
          "The second session was held in Geneva, from 1 to 5 April 2013."], 2),
        ("What are transparency and confidence-building measures?",
         ["There are two types of measures, those on capabilities and those on behaviours.",
          "Transparency and confidence-building measures are a means by which Governments can share "
          "information with the aim of creating mutual understanding and trust.",
          "The Group met three times."], 1),
    ]
    for question, sentences, right in cases:
        got = scorer.score(question, sentences)
        assert np.isfinite(got).all() and int(np.argmax(got)) == right, (question, got)
    assert scorer.score("宇宙外交とは何ですか？", ["宇宙外交は国務省の枠組みです。"]).shape == (1,)


def test_a_sentence_scores_the_same_in_any_company_and_once_per_question():
    from qa.reader.sentences import SENTENCES_PATH, Judge, SentenceScorer

    scorer = SentenceScorer(SENTENCES_PATH)
    q = "Where was the second session of the Group held?"
    sents = ["The second session was held in Geneva, from 1 to 5 April 2013.", "The Group met three times.",
             "Transparency and confidence-building measures are a means by which Governments can share "
             "information with the aim of creating mutual understanding and trust among them, in space."]
    together = scorer.score(q, sents)
    np.testing.assert_array_equal(together, [scorer.score(q, [s])[0] for s in sents])
    np.testing.assert_array_equal(together[::-1], scorer.score(q, sents[::-1]))
    judge = Judge(scorer, q)
    assert judge(sents[:2]) == [float(z) for z in together[:2]]
    asked = []
    real = scorer.score
    scorer.score = lambda question, texts: asked.extend(texts) or real(question, texts)
    try:
        assert judge(sents[1:]) == [float(z) for z in together[1:]]
    finally:
        scorer.score = real
    assert asked == sents[2:] and judge.seconds > 0


def test_sentences_shared_out_over_threads_score_as_one_thread_does(monkeypatch):
    """Two threads each read some of the sentences (the page's case): the same logits, in the same
    places, as one thread reading them all; with QA_ONNX_THREADS set (qa ask --workers, where the
    questions share the cores) one thread reads."""
    from qa.reader.sentences import SENTENCES_PATH, SentenceScorer

    monkeypatch.delenv("QA_ONNX_THREADS", raising=False)
    two, one = SentenceScorer(SENTENCES_PATH), SentenceScorer(SENTENCES_PATH, workers=1)
    assert (two.workers, one.workers) == (min(2, os.cpu_count() or 1), 1)
    two.workers = 2   # shared out even on a one-core machine
    q = "Where was the second session of the Group held?"
    sents = [f"Session {i} of the Group was held in {city}." for i, city in
             enumerate(["Geneva", "New York", "Vienna", "Nairobi", "Geneva, from 1 to 5 April 2013", "Bonn"])] + [""]
    got = two.score(q, sents)
    np.testing.assert_array_equal(got, one.score(q, sents))
    assert got[-1] == -1e4 and np.isfinite(got).all() and len(set(got[:-1].tolist())) == 6
    monkeypatch.setenv("QA_ONNX_THREADS", "1")
    assert SentenceScorer(SENTENCES_PATH).workers == 1


def test_extra_groups_are_trained_on_beside_squads(tmp_path, tiny_base):  # noqa: F811
    squad = _tiny_squad(tmp_path / "s.json.gz")
    s = _settings(tiny_base, squad, listwise=1.0, neg_same=2, batch=2)
    base = train_sentences(s, tmp_path / "a", tmp_path / "a.csv", progress=False, max_steps=1)
    extra = [[("How long is the river?", "The river is 40 km long.", 1), ("How long is the river?", "It floods.", 0)],
             [("Who rules Renia?", "Renia has mountains.", 0)]]   # an unanswerable question: negatives only
    more = train_sentences(s, tmp_path / "b", tmp_path / "b.csv", progress=False, max_steps=1, extra_groups=extra)
    assert more["pairs"] == base["pairs"] + 3 and more["positives"] == base["positives"] + 1
    assert more["total_steps"] == base["total_steps"] + 1   # two more groups, batches of two
