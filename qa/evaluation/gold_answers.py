"""One gold question through ``qa ask`` -> a QuestionResult row; rows -> the ``answers`` block.

The metrics themselves are the pure functions of qa.evaluation.answer_metrics. A figure whose
denominator is empty for a set (no paraphrased question, no question wanting a short answer, no
gold pages) is left out of the block rather than shown as 0.0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qa.evaluation.answer_metrics import (
    calibrated_ece,
    cited_page_right,
    citation_precision,
    expected_calibration_error,
    is_hit,
    refusal_precision_recall,
    relevant_citations,
    reliability_bins,
    share,
    short_answer_right,
)
from qa.types import Answer, Document

# Gold answer types for which the gold answer is a short answer (a name, number, date, ...);
# "name" is the home set's type for people, places and organisations together.
SHORT_ANSWER_TYPES = frozenset({"place", "number", "date", "person", "organisation", "percentage", "amount",
                                "name"})


@dataclass(frozen=True)
class QuestionResult:
    """Per-question outcome, for the report's table and the summary.

    ``short_right`` is None unless the gold wants a short answer and the question was answered;
    ``page_right`` is None unless the answer is a hit and the gold gives pages.
    """

    id: str
    split: str
    answerable: bool
    recall: dict
    first_relevant: dict
    abstained: bool
    answer: str
    hit: bool | None
    citations: int
    relevant_citations: int
    latency_ms: float
    confidence: float = 0.0
    paraphrased: bool = False
    short: str = ""
    short_right: bool | None = None
    cited_pages: tuple[int, ...] = ()
    page_right: bool | None = None
    answer_type: str = ""


def cited_pages(answer: Answer, documents: dict[str, Document]) -> tuple[str, tuple[int, ...]]:
    """(document, pages) of the answer's first citation: the pages its quote touches; ("", ()) if none."""
    if not answer.citations:
        return "", ()
    c = answer.citations[0]
    doc = documents.get(c.doc_id)
    pages = doc.pages_between(c.start, c.end) if doc is not None else ()
    return c.doc_id, pages or ((c.page,) if c.page else ())


def question_row(q, answer: Answer, evidence: list, documents: dict[str, Document], recall: dict,
                 first_relevant: dict, latency_ms: float) -> QuestionResult:
    """Measure one answer against its gold question ``q`` (a GoldQuestion); ``evidence`` holds the
    places ``(doc_id, start, end)`` of its evidence quotes."""
    text = answer.answer.text if answer.answer else ""
    short = answer.answer.short if answer.answer else ""
    hit = is_hit(text, q.answers) if q.answerable else None
    wants_short = q.answerable and q.answer_type in SHORT_ANSWER_TYPES and not answer.abstained
    doc_id, pages = cited_pages(answer, documents)
    return QuestionResult(
        id=q.id, split=q.split, answerable=q.answerable, recall=recall, first_relevant=first_relevant,
        abstained=answer.abstained, answer=text, hit=hit, citations=len(answer.citations),
        relevant_citations=relevant_citations([(c.doc_id, c.start, c.end) for c in answer.citations], evidence),
        latency_ms=latency_ms, confidence=answer.confidence, paraphrased=q.paraphrased, short=short,
        short_right=short_answer_right(short, q.answers) if wants_short else None, cited_pages=pages,
        page_right=cited_page_right(doc_id, pages, q.docs, q.pages) if hit and q.pages else None,
        answer_type=q.answer_type)


# The answer figures in reading order: (key in the summary's ``answers`` block, heading); the
# report's table and the Evaluate page show them so.
ANSWER_COLUMNS = (("hit_rate", "hit rate"), ("paraphrased_hit_rate", "hit rate, paraphrased"),
                  ("short_answer_right", "short answer right"), ("cited_page_right", "cited page right"),
                  ("citation_precision", "citation precision"), ("abstain_precision", "abstention precision"),
                  ("abstain_recall", "abstention recall"), ("calibration_error", "calibration error"),
                  ("calibration_error_by_chance", "calibration error of a calibrated tool (chance)"))


def answer_figures(summary: dict) -> list[tuple[str, str, float, str | None]]:
    """(key, heading, value, what it is measured on) of each answer figure of a gold summary (with
    its ``answers``, ``counts`` and ``questions``), in ANSWER_COLUMNS' order, so a figure is read
    with its denominator: "hit rate, paraphrased 0.786, 14 paraphrased answerable questions"; None
    where the summary has no counts."""
    answers, counts, questions = summary.get("answers", {}), summary.get("counts", {}), summary["questions"]
    shown = counts.get("answers_shown")
    on = {"hit_rate": (counts.get("answerable"), "answerable question", "answerable questions"),
          "paraphrased_hit_rate": (counts.get("paraphrased"), "paraphrased answerable question",
                                   "paraphrased answerable questions"),
          "short_answer_right": (counts.get("short_answer_expected"), "answer that wants a short answer",
                                 "answers that want a short answer"),
          "cited_page_right": (counts.get("hits_with_pages"), "hit whose gold names pages", "hits whose gold names pages"),
          "citation_precision": (questions, "question's citations", "questions' citations"),
          "abstain_precision": (None if shown is None else questions - shown, "refusal", "refusals"),
          "abstain_recall": (counts.get("unanswerable"), "unanswerable question", "unanswerable questions"),
          "calibration_error": (shown, "answer shown", "answers shown"),
          "calibration_error_by_chance": (shown, "answer shown", "answers shown")}
    out = []
    for key, heading in ANSWER_COLUMNS:
        if key in answers:
            n, one, many = on[key]
            out.append((key, heading, answers[key], None if n is None else f"{n} {one if n == 1 else many}"))
    return out


def summarise_answers(rows) -> dict:
    """The ``answers`` block of the summary from per-question rows.

    hit_rate over answerable questions; paraphrased_hit_rate over the paraphrased ones among them;
    short_answer_right over answered questions whose gold wants a short answer; cited_page_right
    over hits whose gold gives pages; citation_precision, abstain_precision/recall and
    calibration_error (answers shown, correct = hit) over every question.
    """
    precision, recall = refusal_precision_recall([r.abstained for r in rows], [r.answerable for r in rows])
    answerable = [r for r in rows if r.answerable]
    shown = [r for r in rows if not r.abstained]
    out = {"hit_rate": share([bool(r.hit) for r in answerable])}
    optional = {
        "paraphrased_hit_rate": [bool(r.hit) for r in answerable if r.paraphrased],
        "short_answer_right": [r.short_right for r in rows if r.short_right is not None],
        "cited_page_right": [r.page_right for r in rows if r.page_right is not None],
    }
    out.update({name: share(flags) for name, flags in optional.items() if flags})
    out.update({
        "citation_precision": citation_precision([(r.relevant_citations, r.citations) for r in rows]),
        "abstain_precision": precision,
        "abstain_recall": recall,
        "calibration_error": expected_calibration_error([r.confidence for r in shown], [bool(r.hit) for r in shown]),
        # what a perfectly calibrated tool would show on the same answers, by chance alone
        "calibration_error_by_chance": calibrated_ece([r.confidence for r in shown]),
    })
    return out


def answer_counts(rows) -> dict:
    """How many questions each answer figure is measured on (the denominators)."""
    return {"answerable": sum(r.answerable for r in rows),
            "paraphrased": sum(r.answerable and r.paraphrased for r in rows),
            "short_answer_expected": sum(r.short_right is not None for r in rows),
            "hits_with_pages": sum(r.page_right is not None for r in rows),
            "unanswerable": sum(not r.answerable for r in rows),
            "answers_shown": sum(not r.abstained for r in rows)}


def by_answer_type(rows) -> dict[str, dict]:
    """Per gold answer type of the answerable questions ("" reads "other"): how many there are,
    their hit rate and, among those answered, the share with the short answer right (None when
    none wants one), most frequent type first."""
    types: dict[str, list] = {}
    for r in rows:
        if r.answerable:
            types.setdefault(r.answer_type or "other", []).append(r)
    out = {}
    for name, group in sorted(types.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        checked = [r.short_right for r in group if r.short_right is not None]
        out[name] = {"questions": len(group), "hit_rate": share([bool(r.hit) for r in group]),
                     "short_answer_right": share(checked) if checked else None}
    return out


def reliability(rows) -> list[dict]:
    """The reliability diagram's bins over the answers shown (correct = hit), as plain dicts."""
    shown = [r for r in rows if not r.abstained]
    return [asdict(b) for b in reliability_bins([r.confidence for r in shown], [bool(r.hit) for r in shown])]
