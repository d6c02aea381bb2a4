"""The reader's span -> the answer (qa.answers.reading) and the calibration's pure parts
(qa.evaluation.calibrate, qa.answers.calibration), on values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa.answers.calibration import Calibration
from qa.answers.model import LinearModel
from qa.answers.reading import MARGIN_CAP, READER_FEATURES, answer_from_reading, sentences_around
from qa.evaluation.refusal import choose_threshold, log_loss
from qa.reader.decode import SpanScore
from qa.reader.model import Reading
from qa.types import Chunk, Hit, SettingsError

TEXT = "Intro line. The accords were signed in March 2022 by Singapore. Another sentence here."


def _hit(rank: int, start: int, end: int, sentences) -> Hit:
    return Hit(rank=rank, chunk=Chunk(f"c{rank}", "d", start, end, TEXT[start:end], sentences=tuple(sentences)),
               score=1.0)


SENTS = [(0, 11), (12, 63), (64, 86)]


def test_sentences_around_the_span():
    hit = _hit(1, 0, len(TEXT), SENTS)
    assert sentences_around(hit, 40, 50) == (12, 63)            # inside one sentence
    assert sentences_around(hit, 55, 70) == (12, 86)            # over two: both, whole
    assert sentences_around(_hit(1, 0, len(TEXT), []), 40, 50) == (40, 50)   # no sentences: the span


def test_answer_from_reading_by_hand():
    hits = [_hit(1, 0, len(TEXT), SENTS), _hit(2, 12, len(TEXT), SENTS[1:])]
    march = TEXT.index("March 2022")
    # passage 0: "March 2022 " (its trailing space trimmed away); passage 1: a weaker span
    spans = (SpanScore(0, march, march + 11, 6.0, 1.0, 0), SpanScore(1, 0, 3, 4.0, 2.0, 1))
    reading = Reading(spans, (1.0, 2.0), (0, 1))
    ans = answer_from_reading(reading, hits, topic=0.6, rare_top=1.0, passages=2)
    assert (ans.start, ans.end) == SENTS[1]
    assert TEXT[ans.short_start:ans.short_end] == "March 2022"
    f = dict(zip(READER_FEATURES, ans.features))
    assert f["span"] == 6.0 and f["span_null"] == 5.0 and f["null_min"] == 1.0
    assert f["span_share"] == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert f["margin"] == 2.0 and f["rank"] == 1.0 and f["topic"] == 0.6
    assert f["span_words"] == pytest.approx(math.log1p(2))
    # reading one passage only: no other passage to lead, and passage 1's window is not counted
    one = dict(zip(READER_FEATURES, answer_from_reading(reading, hits, 0.6, 1.0, 1).features))
    assert one["margin"] == MARGIN_CAP and one["null_min"] == 1.0 and one["span_share"] == 1.0
    assert answer_from_reading(Reading((), (), ()), hits, 0.6, 1.0, 2) is None


def test_choose_threshold_by_hand():
    # five answerable (1) and three unanswerable (0) questions with their probabilities
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.15, 0.1, 0.2, 0.3])
    answerable = np.array([True, True, True, True, True, False, False, False])
    # t = 0.3 refuses 0.1, 0.15, 0.2: 2 right of 3 (one answerable refused = 20% > 5%: not allowed);
    # t = 0.15 refuses only 0.1: precision 1, recall 1/3 -> the best allowed
    assert choose_threshold(p, answerable, max_wrong=0.05) == 0.15
    # allowing one wrong refusal in five: t = 0.6 refuses all three unanswerable and one answerable (F1 6/7)
    assert choose_threshold(p, answerable, max_wrong=0.2) == 0.6
    assert choose_threshold(np.array([0.5, 0.6]), np.array([True, True])) == 0.0  # nothing to refuse


def test_log_loss_by_hand():
    assert log_loss(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(math.log(2))
    assert log_loss(np.array([1.0]), np.array([0.0])) == pytest.approx(-math.log(1e-6))


def test_calibration_round_trip_and_checks():
    n = len(READER_FEATURES)
    model = LinearModel(READER_FEATURES, (1.0,) + (0.0,) * (n - 1), 0.0, (0.0,) * n, (1.0,) * n)
    cal = Calibration(model, passages=3, threshold=0.4, per_window=10)
    again = Calibration.from_json(cal.to_json())
    assert again == cal and again.probability((0.0,) * n) == pytest.approx(0.5)
    older = {k: v for k, v in cal.to_json().items() if k != "per_window"}   # written before it was a setting
    assert Calibration.from_json(older).per_window == 3
    with pytest.raises(SettingsError, match="per_window"):
        Calibration(model, passages=3, threshold=0.4, per_window=0)
    assert again.probability((2.0,) + (0.0,) * (n - 1)) == pytest.approx(1 / (1 + math.exp(-2)))
    with pytest.raises(SettingsError, match="threshold"):
        Calibration(model, passages=3, threshold=1.5)
    bad = cal.to_json()
    bad["model"]["features"] = ["span"]
    with pytest.raises(SettingsError, match="features"):
        Calibration.from_json(bad)


def test_rank_weight_prefers_higher_passages_by_hand():
    from qa.answers.reading import Quote, pick

    spans = [SpanScore(0, 0, 3, 5.0, 0.0, 0), SpanScore(3, 0, 3, 6.0, 0.0, 1)]
    cands = [Quote(s.passage, 0, 3, s) for s in spans]

    def choose(weight):   # the reader's spans alone (no scorer weight), with the rank prior
        return cands[pick(cands, [0.0, 0.0], weight, 0.0)].span

    assert choose(0.0).passage == 3                     # the reader alone: 6.0 > 5.0
    # weight 1: passage 3 scores 6 - log(4) = 4.61 < 5 - log(1) = 5
    assert choose(1.0).passage == 0
    # weight 0.5: 6 - 0.5 log 4 = 5.31 > 5
    assert choose(0.5).passage == 3


def test_the_sentence_scorer_moves_the_choice_by_hand():
    hits = [_hit(1, 0, len(TEXT), SENTS)]
    march, intro = TEXT.index("March 2022"), TEXT.index("Intro")
    # the reader likes "Intro" (7.0) more than "March 2022" (6.0); the scorer likes the second sentence
    spans = (SpanScore(0, intro, intro + 5, 7.0, 1.0, 0), SpanScore(0, march, march + 10, 6.0, 1.0, 0))
    reading = Reading(spans, (1.0,), (0,))
    logits = {TEXT[0:11]: -2.0, TEXT[12:63]: 1.0, TEXT[64:86]: 3.0}
    judge = lambda texts: [logits[t] for t in texts]  # noqa: E731
    # weight 0: the reader alone picks "Intro line."; the features still carry the scorer's view
    alone = answer_from_reading(reading, hits, 0.6, 1.0, 1, judge=judge)
    assert (alone.start, alone.end) == SENTS[0]
    f = dict(zip(READER_FEATURES, alone.features))
    assert f["sentence"] == -2.0 and f["sentence_top"] == 1.0      # without every sentence: two quotes judged
    # weight 0.5: 7 - 1 = 6.0 < 6 + 0.5 = 6.5, the second sentence with its span
    mid = answer_from_reading(reading, hits, 0.6, 1.0, 1, judge=judge, scorer_weight=0.5)
    assert (mid.start, mid.end) == SENTS[1] and TEXT[mid.short_start:mid.short_end] == "March 2022"
    # every sentence, weight 2: the span-less third sentence scores 6 - 1 + 2 * 3 = 11 > 6 + 2 = 8 > 7 - 4 = 3
    every = answer_from_reading(reading, hits, 0.6, 1.0, 1, judge=judge, scorer_weight=2.0, every_sentence=True)
    assert (every.start, every.end) == SENTS[2] and every.short_start == every.short_end
    assert dict(zip(READER_FEATURES, every.features))["sentence_top"] == 3.0
    assert TEXT[every.start:every.end] == "Another sentence here."


def test_fit_calibration_chooses_the_setting_with_the_best_hit_rate():
    from qa.evaluation.calibrate import POOLS, RANK_WEIGHTS, ReadRow, fit_calibration, key

    rng = np.random.default_rng(0)
    n = len(READER_FEATURES)

    def rows(good_pool: int, good_window: bool):
        out = []
        for i in range(80):
            answerable = i % 4 != 0
            pools = {}
            for p in POOLS:
                for w in RANK_WEIGHTS:
                    right = answerable and (p == good_pool and w == 0.0 and good_window or i % 3 == 0)
                    x = list(rng.normal(size=n))
                    x[0] = (3.0 if right else -1.0) + rng.normal()   # "span" tells right from wrong
                    pools[key(p, w)] = [x, bool(right), bool(right), "", ""]
            out.append(ReadRow("home" if i % 2 else "real", f"q{i}", "tune", f"g{i % 7}", answerable, False, "",
                               pools))
        return out

    cal, about = fit_calibration({256: rows(4, False), 192: rows(4, True)})
    assert (cal.window, cal.passages, cal.rank_weight) == (192, 4, 0.0)
    assert 0.0 <= cal.threshold < 1.0 and about["hit_answerable_mean_of_sets"] > 0.9
    # the span feature carries the signal: a right-looking answer is far more likely right
    hi, lo = [0.0] * n, [0.0] * n
    hi[0], lo[0] = 3.0, -1.0
    assert cal.probability(tuple(hi)) > 0.8 > 0.2 > cal.probability(tuple(lo))


def test_fit_calibration_reads_fewer_passages_when_more_buy_less_than_the_margin():
    """Eight passages get one more home question right than three (0.00625 of the mean of the
    sets, under FEWER_PASSAGES_WITHIN): three are read; two, far worse, are not."""
    from qa.evaluation.calibrate import FEWER_PASSAGES_WITHIN, POOLS, RANK_WEIGHTS, ReadRow, fit_calibration, key

    rng = np.random.default_rng(1)
    n = len(READER_FEATURES)
    rows = []
    for i in range(160):
        answerable = i % 4 != 0
        pools = {}
        for p in POOLS:
            for w in RANK_WEIGHTS:
                right = answerable and p >= 3 and (i != 1 or p == 8)
                x = list(rng.normal(size=n))
                x[0] = (3.0 if right else -1.0) + rng.normal()
                pools[key(p, w)] = [x, bool(right), bool(right), "", ""]
        rows.append(ReadRow("home" if i % 2 else "real", f"q{i}", "tune", f"g{i % 7}", answerable, False, "", pools))
    cal, about = fit_calibration({192: rows})
    assert 1 / 160 < FEWER_PASSAGES_WITHIN
    assert (cal.passages, cal.rank_weight) == (3, 0.0)
    assert about["best_hit_any_pool"] == 1.0 and about["hit_answerable_mean_of_sets"] == round(1 - 1 / 160, 4)


def test_refusals_of_another_model_count_with_the_threshold():
    """choose_threshold with ``also_refused``: those refusals stand whatever the threshold, count
    against the limit on answerable questions refused, and the best threshold is chosen beside them."""
    from qa.evaluation.refusal import refusal_f1

    p = np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.1])
    answerable = np.array([True, True, True, True, False, False])
    also = np.array([False, False, False, False, True, False])
    # alone: t=0.2 refuses the 0.1 (F1 2/3); with `also` refusing the 0.6 too, both are caught: F1 1
    assert choose_threshold(p, answerable, max_wrong=0.0) == 0.2
    assert choose_threshold(p, answerable, max_wrong=0.0, also_refused=also) == 0.2
    assert refusal_f1(np.array([False, False, False, False, True, True]), answerable) == 1.0
    assert abs(refusal_f1(np.array([False, False, False, False, False, True]), answerable) - 2 / 3) < 1e-12
    # refusing an answerable one by the other model is over a limit of 0: only "never refuse by p" (0.0) is left
    worse = np.array([True, False, False, False, False, False])
    assert choose_threshold(p, answerable, max_wrong=0.0, also_refused=worse) == 0.0


def test_fit_calibration_takes_more_spans_a_window_only_where_they_hit_more():
    """Ten spans a window get two more answers right than three: ten is chosen; where both hit
    alike, the tie goes to three (fewer quotes for the scorer to judge)."""
    from qa.evaluation.calibrate import POOLS, RANK_WEIGHTS, ReadRow, fit_calibration, key

    def rows(gain: bool):
        rng = np.random.default_rng(2)
        out = []
        for i in range(120):
            answerable = i % 4 != 0
            pools = {}
            for p in POOLS:
                for w in RANK_WEIGHTS:
                    for pw in (3, 10):
                        right = answerable and p >= 3 and (i % 5 != 1 or (gain and pw == 10))
                        x = list(rng.normal(size=len(READER_FEATURES)))
                        x[0] = (3.0 if right else -1.0) + rng.normal()
                        pools[key(p, w, per_window=pw)] = [x, bool(right), bool(right), "", ""]
            out.append(ReadRow("home" if i % 2 else "real", f"q{i}", "tune", f"g{i % 7}", answerable, False, "",
                               pools))
        return out

    cal, about = fit_calibration({192: rows(True)})
    assert cal.per_window == 10 and about["per_window"] == 10
    assert about["best_hit_by_per_window"]["per_window=10"] > about["best_hit_by_per_window"]["per_window=3"]
    assert fit_calibration({192: rows(False)})[0].per_window == 3


def test_top_per_window_is_a_reading_with_fewer_spans_a_window():
    """Read once with many spans a window, cut to k: the spans best_spans gives with k itself."""
    from qa.reader.decode import best_spans

    rng = np.random.default_rng(3)
    start = rng.integers(-3, 4, size=(4, 30)).astype(np.float32)
    end = rng.integers(-3, 4, size=(4, 30)).astype(np.float32)
    offsets = np.stack([np.arange(30) * 4, np.arange(30) * 4 + 3], axis=-1)[None].repeat(4, 0)
    offsets[:, :3] = -1
    passage = np.array([0, 0, 1, 2])
    nulls = tuple(float(x) for x in start[:, 0] + end[:, 0])
    full = Reading(tuple(best_spans(start, end, offsets, passage, 10, 12)), nulls, tuple(passage.tolist()))
    for k in (1, 3, 12):
        assert full.top_per_window(k) == Reading(tuple(best_spans(start, end, offsets, passage, 10, k)), nulls,
                                                 tuple(passage.tolist()))


def test_linear_refusals_and_a_calibrations_key_by_hand():
    """The linear scorer refuses a row only where its third field says so (rows cached before it
    had one do not); a calibration's key is that of its settings."""
    from qa.answers.rerank import Rerank
    from qa.evaluation.calibrate import ReadRow, calibration_key, key, linear_refusals

    def row(linear):
        return ReadRow("real", "q", "tune", "g", True, False, "", {}, linear)

    rows = [row((0.3, True, True)), row((0.3, True)), row((0.9, False, False)), row((0.1, False, 1))]
    assert linear_refusals(rows).tolist() == [True, False, False, True]
    assert linear_refusals([]).shape == (0,)
    n = len(READER_FEATURES)
    cal = Calibration(LinearModel(READER_FEATURES, (0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n), passages=3, threshold=0.2, rank_weight=1.0,
                      scorer_weight=2.0, rerank=Rerank(20, 40, 1.0), window=192)
    assert calibration_key(cal) == key(3, 1.0, 2.0, False, Rerank(20, 40, 1.0), cal.per_window)
