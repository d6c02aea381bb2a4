"""Defaults chosen by `qa eval --sweep` on tuning data only (see README, "Evaluation")."""

DEFAULT_FUSION = {"fusion": "rrf", "rrf_k": 60.0, "dense_weight": 0.5}

# Sentence scoring and abstention for `qa ask`.
ANSWER_DEFAULTS = {"passages": 5, "dense_weight": 0.5, "abstain_threshold": 0.45}
