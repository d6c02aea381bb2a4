"""Defaults chosen by `qa eval --sweep` on the gold set's tuning split only (README, "Evaluation").

Hybrid fusion: convex combination of min-max normalised scores, dense weight 0.4, scored best by
nDCG@10 on the tuning split (RRF with k=60 remains available: `--fusion rrf --rrf-k 60`).
Answers: sentence score = 0.5 * dense cosine + 0.5 * query-term coverage over the top 3
passages, scaled down when no retrieved passage has a cosine of 0.35 with the question (the
lowest seen for an answerable tuning question: off-corpus questions sit below it); abstain below
0.33 (the middle of the plateau of thresholds that handled the most tuning questions right).
"""

DEFAULT_FUSION = {"fusion": "convex", "rrf_k": 60.0, "dense_weight": 0.4}

ANSWER_DEFAULTS = {"passages": 3, "dense_weight": 0.5, "abstain_threshold": 0.33, "topic_floor": 0.35}
