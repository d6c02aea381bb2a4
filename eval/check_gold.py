"""Validate the gold QA evaluation set (eval/questions.jsonl).

Usage: python eval/check_gold.py [path/to/questions.jsonl]

Checks, per line:
  * valid JSON with the required fields and types; unique ids
  * split is "tune" or "report"; doc ids are known
  * answers/evidence/docs are empty iff type == "unanswerable"
  * every evidence quote occurs in one of the line's documents after collapsing
    whitespace runs to a single space (in both quote and document text)
  * every answer string occurs (case-insensitively) in at least one evidence quote
Across lines:
  * no evidence crosses the split: an evidence quote of a "tune" question never overlaps
    (same document, a character in common) an evidence quote of a "report" question
Warnings (do not fail the run): quote length outside 8-40 words, quote containing
a non-breaking space, link/emphasis syntax, a page footer or a URL, or a quote that
only matches when a non-breaking space in the document is treated as a space.

Prints counts by split, type and doc; exits non-zero if any line fails.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DOC_FILES = {
    "ivlp-space-diplomacy": "ivlp-space-diplomacy.txt",
    "wh-fact-sheet-2023-12-20": "white-house-fact-sheet-space-partnerships.md",
    "strategic-framework": "strategic-framework-space-diplomacy.txt",
    "breaking-defense-framework": "breaking-defense-space-diplomacy-framework.txt",
    "csis-next-steps": "csis-next-steps-space-partnerships.txt",
}
REQUIRED = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "docs": list,
    "type": str,
    "split": str,
}
SPLITS = {"tune", "report"}


def norm(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def norm_strict(text: str) -> str:
    """Collapse only ASCII whitespace, so a NBSP is not treated as a space."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()


def load_docs() -> dict[str, tuple[str, str]]:
    docs = {}
    for doc_id, name in DOC_FILES.items():
        raw = (CORPUS / name).read_text(encoding="utf-8")
        docs[doc_id] = (norm(raw), norm_strict(raw))
    return docs


def check_line(rec: dict, docs: dict) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    for field, typ in REQUIRED.items():
        if field not in rec:
            errors.append(f"missing field {field!r}")
        elif not isinstance(rec[field], typ):
            errors.append(f"field {field!r} should be {typ.__name__}")
    if errors:
        return errors, warnings
    extra = set(rec) - set(REQUIRED)
    if extra:
        warnings.append(f"extra fields {sorted(extra)}")
    for field in ("answers", "evidence", "docs"):
        if not all(isinstance(x, str) and x.strip() for x in rec[field]):
            errors.append(f"{field} must hold non-empty strings")
    if not rec["question"].strip():
        errors.append("empty question")
    if rec["split"] not in SPLITS:
        errors.append(f"bad split {rec['split']!r}")
    unknown = [d for d in rec["docs"] if d not in docs]
    if unknown:
        errors.append(f"unknown doc ids {unknown}")
    if len(set(rec["docs"])) != len(rec["docs"]):
        errors.append("duplicate doc ids")

    unanswerable = rec["type"] == "unanswerable"
    if unanswerable:
        if rec["answers"] or rec["evidence"] or rec["docs"]:
            errors.append("unanswerable item must have empty answers, evidence and docs")
        return errors, warnings
    structural = []
    if not rec["answers"]:
        structural.append("answerable item has no answers")
    if not rec["evidence"]:
        structural.append("answerable item has no evidence")
    if not rec["docs"]:
        structural.append("answerable item has no docs")
    if rec["type"] == "multi-doc" and len(rec["docs"]) < 2:
        structural.append("multi-doc item needs evidence from at least two docs")
    if unknown:
        structural.append("cannot check quotes against unknown docs")
    errors.extend(structural)
    if structural:
        return errors, warnings

    docs_used = set()
    for quote in rec["evidence"]:
        nq = norm(quote)
        hits = [d for d in rec["docs"] if nq in docs[d][0]]
        if not hits:
            elsewhere = [d for d in docs if nq in docs[d][0]]
            where = f" (found in {elsewhere} instead)" if elsewhere else ""
            errors.append(f"quote not found in {rec['docs']}{where}: {quote!r}")
            continue
        docs_used.update(hits)
        if not any(norm_strict(quote) in docs[d][1] for d in hits):
            warnings.append(f"quote only matches across a non-breaking space: {quote!r}")
        n_words = len(nq.split())
        if not 8 <= n_words <= 40:
            warnings.append(f"quote has {n_words} words (want 8-40): {quote!r}")
        if "\u00a0" in quote:
            warnings.append(f"quote contains a non-breaking space: {quote!r}")
        if re.search(r"\]\(|\*\*|https?://|Page \d+ of \d+|UNCLASSIF", quote):
            warnings.append(f"quote contains markup, URL or footer text: {quote!r}")
    unused = set(rec["docs"]) - docs_used
    if unused:
        errors.append(f"docs {sorted(unused)} listed but no evidence quote comes from them")

    for ans in rec["answers"]:
        a = norm(ans).lower()
        if not any(a in norm(q).lower() for q in rec["evidence"]):
            errors.append(f"answer {ans!r} not in any evidence quote")
    return errors, warnings


def evidence_places(rec: dict, docs: dict) -> list[tuple[str, int, int]]:
    """Every (doc id, start, end) of each evidence quote in the normalised text of its documents."""
    places = []
    for quote in rec.get("evidence", []):
        nq = norm(quote)
        for d in rec.get("docs", []):
            text = docs[d][0] if d in docs else ""
            i = text.find(nq) if nq else -1
            while i >= 0:
                places.append((d, i, i + len(nq)))
                i = text.find(nq, i + 1)
    return places


def split_leaks(records: list[dict], docs: dict) -> list[str]:
    """One message per (tune, report) pair of questions whose evidence overlaps: a leak."""
    placed = [(r["id"], r["split"], evidence_places(r, docs)) for r in records]
    leaks = []
    for tid, tsplit, tplaces in placed:
        for rid, rsplit, rplaces in placed:
            if tsplit != "tune" or rsplit != "report":
                continue
            shared = sorted({d for d, s, e in tplaces for d2, s2, e2 in rplaces if d == d2 and s < e2 and s2 < e})
            if shared:
                leaks.append(f"report question {rid} reuses evidence of tuning question {tid} (in {', '.join(shared)})")
    return leaks


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "eval" / "questions.jsonl"
    docs = load_docs()
    seen: set[str] = set()
    n_bad = n_warn = 0
    records = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {lineno}: invalid JSON: {exc}")
            n_bad += 1
            continue
        if not isinstance(rec, dict):
            print(f"line {lineno}: not a JSON object")
            n_bad += 1
            continue
        errors, warnings = check_line(rec, docs)
        rid = rec.get("id")
        if rid in seen:
            errors.append(f"duplicate id {rid!r}")
        seen.add(rid)
        for e in errors:
            print(f"line {lineno} [{rid}] ERROR: {e}")
        for w in warnings:
            print(f"line {lineno} [{rid}] warning: {w}")
        n_bad += bool(errors)
        n_warn += bool(warnings)
        if not errors:
            records.append(rec)

    leaks = split_leaks(records, docs)
    for leak in leaks:
        print(f"ERROR: {leak}")
    print(f"\n{len(records)} valid lines, {n_bad} failing, {n_warn} with warnings, {len(leaks)} split leaks")
    split = Counter(r["split"] for r in records)
    print("\nby split:", dict(sorted(split.items())))
    types = sorted({r["type"] for r in records})
    print("\nby type (total / tune / report):")
    for t in types:
        rs = [r for r in records if r["type"] == t]
        tune = sum(r["split"] == "tune" for r in rs)
        print(f"  {t:14s} {len(rs):4d} {tune:4d} {len(rs) - tune:4d}")
    print("\nby doc (items citing it; total / tune / report):")
    for d in DOC_FILES:
        rs = [r for r in records if d in r["docs"]]
        tune = sum(r["split"] == "tune" for r in rs)
        print(f"  {d:28s} {len(rs):4d} {tune:4d} {len(rs) - tune:4d}")
    multi = sum(len(r["docs"]) > 1 for r in records)
    print(f"\nitems with evidence from 2+ docs: {multi}")
    return 1 if n_bad or leaks else 0


if __name__ == "__main__":
    sys.exit(main())
