"""Answer-stage figures from cached candidate rows: what ``qa fit-answers --report`` prints.

For each question the chosen candidate is the one the candidate model scores highest among the
top ``passages``; its confidence is the question model's probability; when the answerability model's probability
is below the threshold the question is refused. Figures (pure functions of the outcomes):

- hit: answerable questions answered with a quote that contains a gold answer (is_hit), over all
  answerable ones; ``paraphrased`` the same over the paraphrased ones;
- refusal precision and recall (answer_metrics.refusal_precision_recall);
- short right: over answerable questions that want a short answer (the gold answer_type when the
  set has one, else the question's wanted type), answered with a short answer that contains a
  gold answer or is contained in one (both normalised);
- page right: over answered, answerable questions with gold pages, the quote's page among them;
- calibration error: ECE of the answers shown (answer_metrics.expected_calibration_error).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.answers.features import GAPS, Candidate, question_features, with_gaps
from qa.answers.model import AnswerModel
from qa.answers.short import short_answer, wanted_type
from qa.evaluation.answer_data import CandidateRow, QuestionRow
from qa.evaluation.answer_metrics import expected_calibration_error, normalise_answer, refusal_precision_recall

SHORT_TYPES = {"person", "organisation", "place", "date", "amount", "percentage", "number", "count"}


@dataclass(frozen=True)
class Outcome:
    """What the answer stage did with one question."""

    row: QuestionRow
    chosen: CandidateRow | None
    confidence: float
    answered: bool
    short: str


_POOLS: dict = {}  # (gold set, id, question, passages) -> pool(): a fit asks for each one hundreds of times


def pool(row: QuestionRow, passages: int) -> tuple[list[CandidateRow], list[Candidate], np.ndarray]:
    """The candidates of the top ``passages`` passages, with their gap features taken over that pool
    (as the answer stage computes them), as rows, as Candidates and as a feature matrix."""
    key = (row.gold_set, row.id, row.question, passages, len(row.candidates))
    if key not in _POOLS:
        rows = [c for c in row.candidates if c.rank < passages]
        n = len(GAPS)
        cands = with_gaps([Candidate(c.doc_id, c.start, c.end, c.rank, c.features[:-n]) for c in rows])
        _POOLS[key] = (rows, cands, np.array([c.features for c in cands]))
    return _POOLS[key]


def chosen_and_features(row: QuestionRow, model: AnswerModel, passages: int):
    """(chosen candidate, question features) of ``row`` under ``model``; (None, None) without candidates."""
    rows, cands, matrix = pool(row, passages)
    if not cands:
        return None, None
    logits = model.candidate.logits(matrix)
    chosen = int(np.argmax(logits))
    return rows[chosen], question_features(chosen, logits, cands, row.constants[passages])


def outcome(row: QuestionRow, model: AnswerModel, threshold: float | None = None) -> Outcome:
    """The Outcome of ``row`` under ``model`` (its own threshold unless one is given)."""
    chosen, q = chosen_and_features(row, model, model.passages)
    if chosen is None:
        return Outcome(row, None, 0.0, False, "")
    confidence = float(model.question.probabilities(np.array([q]))[0])
    answerable = float(model.answerable.probabilities(np.array([q]))[0])
    answered = not model.refuses(answerable, row.constants[model.passages][2], threshold,
                                 row.constants[model.passages][0])
    span = short_answer(row.question, chosen.text, wanted_type(row.question)) if answered else None
    return Outcome(row, chosen, confidence, answered, chosen.text[span[0]:span[1]] if span else "")


def short_right(short: str, answers) -> bool:
    """The short answer contains a gold answer or sits inside one (normalised); never when empty."""
    s = normalise_answer(short)
    return bool(s) and any(normalise_answer(a) and (normalise_answer(a) in s or s in normalise_answer(a))
                           for a in answers)


def wants_short(row: QuestionRow) -> bool:
    if row.answer_type:
        return row.answer_type in SHORT_TYPES
    return wanted_type(row.question) in SHORT_TYPES


def figures(outcomes: list[Outcome]) -> dict:
    """The figures above over ``outcomes`` (one per question)."""
    answerable = [o for o in outcomes if o.row.answerable]
    hit = [o.answered and o.chosen.hit for o in answerable]
    para = [o.answered and o.chosen.hit for o in answerable if o.row.paraphrased]
    shorts = [o.answered and short_right(o.short, o.row.answers) for o in answerable if wants_short(o.row)]
    pages = [o.chosen.page in o.row.pages for o in answerable if o.answered and o.row.pages]
    precision, recall = refusal_precision_recall([not o.answered for o in outcomes],
                                                 [o.row.answerable for o in outcomes])
    shown = [o for o in outcomes if o.answered]
    ece = expected_calibration_error([o.confidence for o in shown], [bool(o.row.answerable and o.chosen.hit)
                                                                     for o in shown])
    handled = [(o.answered and o.row.answerable and o.chosen.hit) or (not o.answered and not o.row.answerable)
               for o in outcomes]
    return {"questions": len(outcomes), "answerable": len(answerable), "hit": _rate(hit),
            "paraphrased": _rate(para), "paraphrased_n": len(para), "refusal_precision": precision,
            "refusal_recall": recall, "short_right": _rate(shorts), "short_n": len(shorts),
            "page_right": _rate(pages), "calibration_error": ece, "handled": _rate(handled)}


def _rate(flags) -> float:
    flags = list(flags)
    return float(sum(flags) / len(flags)) if flags else 0.0


COLUMNS = ("hit", "paraphrased", "refusal_precision", "refusal_recall", "short_right", "page_right",
           "calibration_error", "handled")


def table(results: dict[tuple[str, str], dict]) -> str:
    """A Markdown table: one line per (gold set, split) with every figure."""
    head = "| set | split | questions | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + "---|" * (3 + len(COLUMNS))]
    for (name, split), f in results.items():
        lines.append(f"| {name} | {split} | {f['questions']} | " + " | ".join(f"{f[c]:.3f}" for c in COLUMNS) + " |")
    return "\n".join(lines)
