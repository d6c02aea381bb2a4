"""Defaults chosen by `qa eval --sweep` on the gold set's tuning split only (README, "Evaluation").

Hybrid fusion: convex combination of min-max normalised scores, dense weight 0.4, scored best by
nDCG@10 on the tuning split (RRF with k=60 remains available: `--fusion rrf --rrf-k 60`).
The answer stage's weights, pool size and abstention threshold are fit on the tuning questions
of both gold sets by `qa fit-answers` and stored in qa/answers/answer_model.json.
"""

DEFAULT_FUSION = {"fusion": "convex", "rrf_k": 60.0, "dense_weight": 0.4}
