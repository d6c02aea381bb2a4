"""The reader on its own dev split: EM and F1 on questions of SQuAD articles held out of training.

The split is the one training made (``split_articles`` with the card's seed and dev_articles), so
no paragraph measured here was trained on. The reader answers from the question's own paragraph,
as SQuAD v1.1 measures (the best span, never "no answer").
"""

from __future__ import annotations

import time

from qa.reader.squad import exact_match, f1_score, load_squad, split_articles
from qa.reader.data import dev_examples


def reader_dev_figures(reader, squad: str, questions: int = 1000, progress=None) -> dict:
    """{"questions", "em", "f1", "ms_per_question"} of ``reader`` on ``questions`` dev questions."""
    settings = reader.card.get("training", {}).get("settings", {})
    seed, dev_articles = int(settings.get("seed", 13)), int(settings.get("dev_articles", 24))
    articles = load_squad(squad)
    _, dev_ids = split_articles(len(articles), dev_articles, seed)
    examples = dev_examples(articles, dev_ids, questions, seed)
    em = f1 = 0.0
    started = time.perf_counter()
    for n, ex in enumerate(examples, start=1):
        reading = reader.read(ex.question, [ex.context])
        pred = ex.context[reading.spans[0].start:reading.spans[0].end] if reading.spans else ""
        em += exact_match(pred, [ex.answer])
        f1 += f1_score(pred, [ex.answer])
        if progress:
            progress(n, len(examples))
    k = max(len(examples), 1)
    return {"questions": len(examples), "dev_articles": dev_articles, "seed": seed,
            "em": round(em / k, 4), "f1": round(f1 / k, 4),
            "ms_per_question": round((time.perf_counter() - started) * 1000 / k, 1)}
