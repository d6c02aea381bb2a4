#!/usr/bin/env python3
"""Validate the gold question set on the real-PDF corpus (eval/real_questions.jsonl).

Usage: python3 eval/check_real_gold.py [path/to/real_questions.jsonl] [--corpus DIR]

The corpus folder defaults to <repo root>/eval/corpus-real (byte-for-byte copies of
../shared/corpus-real).
The only dependency is pypdf. Each PDF is read once, page by page.

Checks, per line:
  * valid JSON object with the required fields and types; unique ids
  * split is "tune" or "report"; no document appears in both splits
  * type in {factoid, paraphrase, unanswerable}; answer_type valid
    ("" exactly when the question is unanswerable)
  * answers / evidence / pages are empty iff type == "unanswerable";
    docs is non-empty and names PDFs in the corpus
  * paraphrase questions have paraphrased == true; unanswerable ones false
  * len(pages) == len(evidence); pages are 1-based ints within the document
  * every answer occurs (case-insensitively) in at least one evidence quote
  * every evidence quote occurs on its stated page of one of the line's docs,
    after normalising quote and page text alike: NFKC, lowercase, and deleting
    every character that is not a letter or a digit. If it is not on the
    stated page, the error says which page(s) it is on, or that it is nowhere.
Warnings (do not fail): evidence quote outside 8-40 words; ligature or soft
hyphen characters in a quote.

Prints counts by split, type, answer_type, paraphrased and document, and the
share of paraphrased and unanswerable questions; exits 1 if any line fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

try:
    from pypdf import PdfReader
except ImportError:  # pragma: no cover - environment problem, not a data problem
    sys.exit("check_real_gold.py needs pypdf: pip install pypdf (or run it with .venv/bin/python)")

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "real_questions.jsonl"
DEFAULT_CORPUS = Path(__file__).resolve().parent / "corpus-real"

REQUIRED = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "pages": list,
    "docs": list,
    "type": str,
    "paraphrased": bool,
    "answer_type": str,
    "split": str,
}
SPLITS = {"tune", "report"}
TYPES = {"factoid", "paraphrase", "unanswerable"}
ANSWER_TYPES = {
    "number", "date", "amount", "percentage", "person", "organisation",
    "place", "term", "definition", "description",
}
SUSPECT_CHARS = {"\ufb00", "\ufb01", "\ufb02", "\ufb03", "\ufb04", "\u00ad"}


def norm(text: str) -> str:
    """NFKC, lowercase, keep only letters and digits."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def load_corpus(corpus: Path) -> dict[str, list[str]]:
    """Map doc id (file stem) to the normalised text of each page (index 0 = page 1)."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    docs: dict[str, list[str]] = {}
    for pdf in sorted(corpus.glob("*.pdf")):
        reader = PdfReader(str(pdf))
        docs[pdf.stem] = [norm(page.extract_text() or "") for page in reader.pages]
    return docs


def check_line(rec: dict, docs: dict[str, list[str]]) -> list[str]:
    errs: list[str] = []
    for field, typ in REQUIRED.items():
        if field not in rec:
            errs.append(f"missing field {field!r}")
        elif not isinstance(rec[field], typ):
            errs.append(f"field {field!r} should be {typ.__name__}")
    if errs:
        return errs

    qtype, atype = rec["type"], rec["answer_type"]
    if rec["split"] not in SPLITS:
        errs.append(f"bad split {rec['split']!r}")
    if qtype not in TYPES:
        errs.append(f"bad type {qtype!r}")
    if not rec["question"].strip():
        errs.append("empty question")
    for field in ("answers", "evidence", "docs"):
        if not all(isinstance(x, str) and x.strip() for x in rec[field]):
            errs.append(f"{field} must hold non-empty strings")
    if errs and any("must hold non-empty strings" in e for e in errs):
        return errs
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in rec["pages"]):
        errs.append("pages must hold ints")
        return errs
    if not rec["docs"]:
        errs.append("docs is empty")
    for d in rec["docs"]:
        if d not in docs:
            errs.append(f"unknown doc {d!r}")

    unans = qtype == "unanswerable"
    if unans:
        if rec["answers"] or rec["evidence"] or rec["pages"]:
            errs.append("unanswerable question must have empty answers/evidence/pages")
        if atype != "":
            errs.append("unanswerable question must have answer_type ''")
        if rec["paraphrased"]:
            errs.append("unanswerable question must have paraphrased false")
        if len(rec["docs"]) != 1:
            errs.append("unanswerable question must name exactly one (near-miss) doc")
    else:
        if not rec["answers"]:
            errs.append("answerable question has no answers")
        if not rec["evidence"]:
            errs.append("answerable question has no evidence")
        if atype not in ANSWER_TYPES:
            errs.append(f"bad answer_type {atype!r}")
        if qtype == "paraphrase" and not rec["paraphrased"]:
            errs.append("paraphrase question must have paraphrased true")
    if len(rec["pages"]) != len(rec["evidence"]):
        errs.append(f"len(pages)={len(rec['pages'])} != len(evidence)={len(rec['evidence'])}")
        return errs

    ev_lower = [e.lower() for e in rec["evidence"]]
    for ans in rec["answers"]:
        if not any(ans.lower() in e for e in ev_lower):
            errs.append(f"answer {ans!r} not in any evidence quote")

    known = [d for d in rec["docs"] if d in docs]
    for quote, page in zip(rec["evidence"], rec["pages"]):
        nq = norm(quote)
        short = quote if len(quote) <= 70 else quote[:67] + "..."
        if not nq:
            errs.append(f"evidence {short!r} is empty after normalising")
            continue
        on_page = False
        for d in known:
            if 1 <= page <= len(docs[d]) and nq in docs[d][page - 1]:
                on_page = True
                break
        if on_page:
            continue
        bad_range = [d for d in known if not 1 <= page <= len(docs[d])]
        found = [
            f"{d} p.{i + 1}"
            for d in known
            for i, text in enumerate(docs[d])
            if nq in text
        ]
        if found:
            where = f"found on {', '.join(found)}"
        else:
            elsewhere = [
                f"{d} p.{i + 1}"
                for d in docs
                if d not in known
                for i, text in enumerate(docs[d])
                if nq in text
            ]
            where = (
                f"not in the line's docs but found in {', '.join(elsewhere)}"
                if elsewhere
                else "found nowhere in the line's docs (nor elsewhere in the corpus)"
            )
        rng = f" (page {page} out of range for {', '.join(bad_range)})" if bad_range else ""
        errs.append(f"evidence {short!r} not on page {page}{rng}; {where}")
    return errs


def warnings_for(rec: dict) -> list[str]:
    warns = []
    for quote in rec.get("evidence", []) or []:
        if not isinstance(quote, str):
            continue
        n = len(quote.split())
        short = quote if len(quote) <= 50 else quote[:47] + "..."
        if not 8 <= n <= 40:
            warns.append(f"evidence {short!r} has {n} words (want 8-40)")
        if any(ch in SUSPECT_CHARS for ch in quote):
            warns.append(f"evidence {short!r} contains a ligature or soft hyphen")
    return warns


def pct(n: int, total: int) -> str:
    return f"{100.0 * n / total:.1f}%" if total else "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT_QUESTIONS))
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="folder of the PDFs")
    args = ap.parse_args(argv)

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"corpus folder not found: {corpus}", file=sys.stderr)
        return 1
    docs = load_corpus(corpus)
    if not docs:
        print(f"no PDFs in {corpus}", file=sys.stderr)
        return 1

    n_bad = 0
    n_warn = 0
    seen_ids: set[str] = set()
    records: list[dict] = []
    doc_splits: dict[str, set[str]] = defaultdict(set)
    doc_first_line: dict[tuple[str, str], int] = {}

    lines = Path(args.path).read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate(lines, 1):
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
        errs = check_line(rec, docs)
        rid = rec.get("id")
        if isinstance(rid, str):
            if rid in seen_ids:
                errs.append(f"duplicate id {rid!r}")
            seen_ids.add(rid)
        for w in warnings_for(rec):
            print(f"line {lineno} ({rid}): warning: {w}")
            n_warn += 1
        if errs:
            n_bad += 1
            for e in errs:
                print(f"line {lineno} ({rid}): {e}")
        if isinstance(rec.get("docs"), list) and isinstance(rec.get("split"), str):
            for d in rec["docs"]:
                if isinstance(d, str):
                    doc_splits[d].add(rec["split"])
                    doc_first_line.setdefault((d, rec["split"]), lineno)
        records.append(rec)

    for d, splits in sorted(doc_splits.items()):
        if len(splits) > 1:
            where = ", ".join(f"{s} (first line {doc_first_line[(d, s)]})" for s in sorted(splits))
            print(f"document {d!r} appears in more than one split: {where}")
            n_bad += 1

    total = len(records)

    def show(title: str, counter: Counter) -> None:
        print(f"\nby {title}:")
        for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            label = key if key != "" else '""'
            print(f"  {label!s:40} {n:4d}  ({pct(n, total)})")

    print(f"\n{total} questions, {n_bad} failing, {n_warn} warnings")
    show("split", Counter(r.get("split") for r in records))
    show("type", Counter(r.get("type") for r in records))
    show("answer_type", Counter(r.get("answer_type") for r in records))
    show("paraphrased", Counter(r.get("paraphrased") for r in records))
    by_doc = Counter(d for r in records for d in (r.get("docs") or []) if isinstance(d, str))
    show("document", by_doc)
    print("\nby split x type (and paraphrased share):")
    st = Counter((r.get("split"), r.get("type")) for r in records)
    for split in sorted({s for s, _ in st}, key=str):
        n_split = sum(n for (s, _), n in st.items() if s == split)
        parts = ", ".join(
            f"{t} {n} ({pct(n, n_split)})" for (s, t), n in sorted(st.items(), key=str) if s == split
        )
        n_par = sum(1 for r in records if r.get("split") == split and r.get("paraphrased") is True)
        print(f"  {split}: {n_split} — {parts}; paraphrased {n_par} ({pct(n_par, n_split)})")
    n_para = sum(1 for r in records if r.get("paraphrased") is True)
    n_unans = sum(1 for r in records if r.get("type") == "unanswerable")
    print(f"\nparaphrased: {n_para}/{total} = {pct(n_para, total)}")
    print(f"unanswerable: {n_unans}/{total} = {pct(n_unans, total)}")
    if n_bad:
        print(f"\nFAIL: {n_bad} problem(s)")
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
