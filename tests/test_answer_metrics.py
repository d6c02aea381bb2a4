"""Answer metrics (qa/evaluation/answer_metrics.py) against values worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qa.evaluation.answer_metrics import (
    ReliabilityBin,
    calibration_bin,
    cited_page_right,
    citation_precision,
    calibrated_ece,
    expected_calibration_error,
    hit_rate,
    is_hit,
    overlaps,
    refusal_precision_recall,
    relevant_citations,
    reliability_bins,
    share,
    short_answer_right,
)


def test_is_hit_needs_a_gold_answer_inside_the_quote():
    quote = "In March 2022, the Republic of Singapore signed the Artemis Accords."
    assert is_hit(quote, ["March 2022"])
    assert is_hit(quote, ["1999", "march  2022"])           # any gold answer; case and spacing ignored
    assert not is_hit(quote, ["April 2022"])
    assert not is_hit(None, ["March 2022"]) and not is_hit("", ["March 2022"])   # abstained
    assert not is_hit(quote, [])                             # nothing to hit
    assert not is_hit(quote, ["  "])                          # an empty gold answer hits nothing


def test_overlap_shares_a_character_of_the_same_document():
    assert overlaps(("a", 0, 10), ("a", 9, 20))
    assert not overlaps(("a", 0, 10), ("a", 10, 20))          # touching is not overlapping
    assert not overlaps(("a", 0, 10), ("b", 0, 10))
    assert overlaps(("a", 5, 6), ("a", 0, 100))


def test_relevant_citations_compare_the_quote_with_the_evidence_span():
    evidence = [("fw", 100, 200), ("wh", 0, 50)]
    cited = [("fw", 150, 250),   # overlaps the first evidence span
             ("fw", 200, 300),   # starts where the evidence ends: not relevant
             ("wh", 40, 45),     # inside the second
             ("ivlp", 100, 200)]  # right offsets, wrong document
    assert relevant_citations(cited, evidence) == 2
    assert relevant_citations(cited, []) == 0
    assert relevant_citations([], evidence) == 0


def test_citation_precision_is_micro_averaged():
    # (relevant, cited): 2 of 3, 0 of 1 (an answered unanswerable question), 1 of 1, nothing cited
    assert citation_precision([(2, 3), (0, 1), (1, 1), (0, 0)]) == 3 / 5
    assert citation_precision([(0, 0)]) == 0.0
    assert citation_precision([]) == 0.0


def test_hit_rate():
    assert hit_rate([True, False, True, True]) == 3 / 4
    assert hit_rate([False]) == 0.0
    assert hit_rate([]) == 0.0


def test_refusal_precision_and_recall_by_hand():
    # six questions: answerable A A A, unanswerable U U U
    answerable = [True, True, True, False, False, False]
    abstained = [True, False, False, True, True, False]   # one wrong refusal, two right, one missed
    assert refusal_precision_recall(abstained, answerable) == (2 / 3, 2 / 3)
    assert refusal_precision_recall([False] * 6, answerable) == (0.0, 0.0)     # never refuses
    assert refusal_precision_recall([True] * 6, answerable) == (3 / 6, 3 / 3)  # always refuses
    assert refusal_precision_recall([True, False], [True, True]) == (0.0, 0.0)  # nothing unanswerable
    with pytest.raises(ValueError, match="2 abstention flags for 3"):
        refusal_precision_recall([True, False], [True, True, False])


@pytest.mark.parametrize("confidence, expected", [(0.0, 0), (0.05, 0), (0.1, 1), (0.33, 3), (0.999, 9),
                                                  (1.0, 9), (-0.2, 0), (1.7, 9)])
def test_calibration_bins_are_ten_equal_widths_with_one_closed_on_the_right(confidence, expected):
    assert calibration_bin(confidence) == expected


def test_calibrated_ece_by_hand():
    # two answers at 0.5: both right or both wrong (1/2 of the time) is 0.5 off, one of each is exact
    assert calibrated_ece([0.5, 0.5]) == pytest.approx(0.25)
    assert calibrated_ece([0.9]) == pytest.approx(0.9 * 0.1 + 0.1 * 0.9)          # 0.18
    assert calibrated_ece([1.0, 0.0]) == pytest.approx(0.0) and calibrated_ece([]) == 0.0
    # two bins, each 0.375 off on average
    assert calibrated_ece([0.25, 0.75]) == pytest.approx(0.375)
    # one bin, mean 0.65: P(0 right) 0.38 * 0.32, P(2) 0.62 * 0.68, P(1) the rest
    p0, p2 = 0.38 * 0.32, 0.62 * 0.68
    assert calibrated_ece([0.62, 0.68]) == pytest.approx(p0 * 0.65 + (1 - p0 - p2) * 0.15 + p2 * 0.35)   # 0.2951
    # three in one bin, every outcome enumerated: the bin's mean confidence (0.64) is the mark
    conf = [0.61, 0.62, 0.69]
    enumerated = sum(np.prod([c if ok else 1 - c for c, ok in zip(conf, oks)]) * abs(sum(oks) / 3 - 0.64)
                     for oks in itertools.product([0, 1], repeat=3))
    assert calibrated_ece(conf) == pytest.approx(enumerated)


def test_calibrated_ece_is_the_mean_ece_of_calibrated_outcomes():
    rng = np.random.default_rng(3)
    conf = rng.uniform(0.05, 0.95, 40)
    draws = [expected_calibration_error(conf, rng.random(40) < conf) for _ in range(4000)]
    assert calibrated_ece(conf) == pytest.approx(np.mean(draws), abs=0.005)
    assert calibrated_ece(np.repeat(conf, 25)) < calibrated_ece(conf) / 3   # more answers, less by chance


def test_expected_calibration_error_by_hand():
    # bin 9 [0.9, 1.0]: confidences 0.9 and 0.95, one right -> |0.5 - 0.925| = 0.425, weight 2/5
    # bin 3: 0.3 and 0.35, both wrong -> |0 - 0.325| = 0.325, weight 2/5
    # bin 6: 0.6, right -> |1 - 0.6| = 0.4, weight 1/5
    conf = [0.9, 0.95, 0.3, 0.35, 0.6]
    right = [True, False, False, False, True]
    expected = 2 / 5 * 0.425 + 2 / 5 * 0.325 + 1 / 5 * 0.4
    assert expected_calibration_error(conf, right) == pytest.approx(expected)   # 0.38
    assert expected_calibration_error([], []) == 0.0
    # perfectly calibrated within one bin: confidence 0.75 and three of four right
    assert expected_calibration_error([0.75] * 4, [True, True, True, False]) == pytest.approx(0.0)
    # one bin over everything: |mean accuracy - mean confidence|
    assert expected_calibration_error(conf, right, bins=1) == pytest.approx(abs(2 / 5 - 3.1 / 5))
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [True, False])
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [True], bins=0)


@pytest.mark.parametrize("short, gold, right", [
    ("Geneva", ["Geneva"], True),                       # equal
    ("geneva.", ["Geneva"], True),                      # case and a final full stop ignored
    ("March 2022", ["2022"], True),                     # the gold answer with words around it
    ("$469 billion", ["$469 billion", "469"], True),    # any gold answer
    ("120", ["12"], False),                             # not inside a word
    ("$13 billion", ["approximately $13 billion"], True),   # the figure without its hedge
    ("0.06%", ["around 0.06% of GDP"], True),           # ... and without its unit
    ("1,000", ["more than 1,000"], True),
    ("2022", ["March 2022"], True),                     # every number of the gold answer is there
    ("$13", ["approximately $13 billion"], False),      # the magnitude is part of the figure
    ("80", ["80 percent"], False),
    ("billion", ["approximately $13 billion"], False),  # the number itself is missing
    ("13 billion", ["$13 billion"], False),             # "13" is not the gold answer's word "$13"
    ("1968", ["1968, 1982 and 1999"], False),           # one of three numbers
    ("Committee", ["Space Debris Coordination Committee"], False),   # a part of a name is not enough
    ("$520 million in damages", ["over $520 million"], False),      # neither inside the other
    ("New York", ["York", "Geneva"], True),             # a whole word of it
    ("New Yorker", ["York"], False),
    ("the European Union", ["European  Union"], True),  # spacing ignored
    ("", ["Geneva"], False),                            # no short answer given
    (None, ["Geneva"], False),
    ("Geneva", [], False),                              # nothing to match
    ("Geneva", ["  "], False),                          # an empty gold answer matches nothing
])
def test_short_answer_right_by_hand(short, gold, right):
    assert short_answer_right(short, gold) is right


def test_cited_page_right_by_hand():
    assert cited_page_right("fw", (5,), ("fw",), (5,))
    assert cited_page_right("fw", (4, 5), ("fw",), (5, 9))     # a quote over a page break touches 5
    assert not cited_page_right("fw", (6,), ("fw",), (5,))     # the page next to it is wrong
    assert not cited_page_right("wh", (5,), ("fw",), (5,))     # right page of another document
    assert cited_page_right("wh", (5,), (), (5,))              # no gold document: any document
    assert not cited_page_right("fw", (), ("fw",), (5,))       # the citation's page is unknown
    assert not cited_page_right("fw", (5,), ("fw",), ())       # gold without pages


def test_share():
    assert share([True, False, False, True, True]) == 3 / 5
    assert share([False, False]) == 0.0
    assert share([]) == 0.0


def test_reliability_bins_by_hand():
    # the five answers of test_expected_calibration_error_by_hand, in five bins of width 0.2
    conf = [0.9, 0.95, 0.3, 0.35, 0.6]
    right = [True, False, False, False, True]
    table = reliability_bins(conf, right, bins=5)
    assert [(b.low, b.high) for b in table] == [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0)]
    assert [b.count for b in table] == [0, 2, 0, 1, 2]
    assert [b.accuracy for b in table] == [0.0, 0.0, 0.0, 1.0, 0.5]
    assert [b.confidence for b in table] == pytest.approx([0.0, 0.325, 0.0, 0.6, 0.925])
    assert table[3] == ReliabilityBin(low=0.6, high=0.8, count=1, accuracy=1.0, confidence=0.6)
    assert len(reliability_bins([], [])) == 10 and all(b.count == 0 for b in reliability_bins([], []))
    with pytest.raises(ValueError, match="1 confidences for 2 outcomes"):
        reliability_bins([0.5], [True, False])
    with pytest.raises(ValueError, match="bins must be at least 1"):
        reliability_bins([0.5], [True], bins=0)
