"""Defaults chosen on tuning data only (README, "Evaluation"; docs/evaluation.md, "How the defaults were chosen").

Hybrid fusion: convex combination of min-max normalised scores, scored best by nDCG@10 on the
tuning split (`qa eval --sweep`; RRF with k=60 remains available: `--fusion rrf --rrf-k 60`).

Issue 22 (`eval/scifact_cv.py`): a title field in BM25 (each passage's document title and section
heading counted twice more), BM25 k1 1.2 and b 0.6, a passage's dense score mixed 0.75 with its best
sentence's, and a dense weight of 0.5, chosen together from a shortlist as the one that raised hybrid
nDCG@10 on every tuning set (SciFact train, home and real tuning splits) with the best mean gain.
Min-max stays the normalisation; z-scores and filling in missing scores (`fill_scores`) helped
SciFact and home but not the real documents, so they stay flags.

Retrieval mode ``rerank`` (hybrid, then the sentence scorer on the closest sentences of the top
passages; eval/ce_rerank_cv.py, 2026-12-06): depth 20, 20 sentences, retrieval-order weight 4, the
setting of 60 tried that raised hybrid nDCG@10 on all three tuning sets (SciFact train +0.001, home
+0.008, real +0.031) at 20 sentences judged; heavier reorderings gained more on the real documents
(up to +0.08) but cost SciFact up to 0.03.

The answer stage's weights, pool size and abstention threshold are fit on the tuning questions
of both gold sets by `qa fit-answers` and stored in qa/answers/answer_model.json.
"""

DEFAULT_FUSION = {"fusion": "convex", "rrf_k": 60.0, "dense_weight": 0.5, "normalisation": "minmax",
                  "fill_scores": False}
DEFAULT_SCORING = {"sentence_weight": 0.75}
DEFAULT_TITLE_WEIGHT = 2
DEFAULT_BM25 = {"k1": 1.2, "b": 0.6}
DEFAULT_RERANK = {"depth": 20, "sentences": 20, "weight": 4.0}
