"""What the ``qa`` sub-commands share: common options, opening the index, printing hits, progress."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

from qa.api import Index, search_settings
from qa.retrieval.retriever import MODES


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    """--corpus, --index, --model (and --json) on a sub-command."""
    p.add_argument("--corpus", default=os.environ.get("QA_CORPUS", "corpus"), help="corpus folder (default: corpus, or $QA_CORPUS)")
    p.add_argument("--index", default=os.environ.get("QA_INDEX", "index"), help="index folder (default: index, or $QA_INDEX)")
    p.add_argument("--model", default=None, help="embedding model name or local path (default: $QA_MODEL or all-MiniLM-L6-v2)")
    add_backend(p)
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def add_backend(p: argparse.ArgumentParser) -> None:
    """--backend, --milvus-uri, --milvus-collection, --milvus-analyzer."""
    p.add_argument("--backend", choices=("embedded", "milvus"), default=None,
                   help="where passages live (default: $QA_BACKEND or embedded)")
    p.add_argument("--milvus-uri", default=None,
                   help="a .db path (Milvus Lite) or http://host:19530 (default: $QA_MILVUS_URI or INDEX/milvus.db)")
    p.add_argument("--milvus-collection", default=None, help="collection name (default: $QA_MILVUS_COLLECTION or qa_passages)")
    p.add_argument("--milvus-analyzer", choices=("qa", "milvus"), default=None,
                   help="BM25 terms from qa's tokenizer (default) or Milvus's analyzer (ingest only)")


def backend_from_args(args, index: str | Path | None = None):
    """The BackendChoice the options and environment name."""
    from qa.retrieval.backend import choose_backend

    return choose_backend(index or args.index, args.backend, args.milvus_uri, args.milvus_collection,
                          args.milvus_analyzer)


def add_search_options(p: argparse.ArgumentParser, k: int) -> None:
    """Mode, k, fusion and filters."""
    p.add_argument("--mode", choices=MODES, default="hybrid",
                   help="retrieval mode (rerank: hybrid re-ranked by the sentence scorer)")
    p.add_argument("--k", type=int, default=k, help="how many passages")
    p.add_argument("--fusion", choices=("rrf", "convex"), default=None, help="hybrid fusion (default: the tuned one)")
    p.add_argument("--rrf-k", type=float, default=None)
    add_scoring_options(p)
    p.add_argument("--doc", action="append", default=[], help="only this document id (repeatable)")
    p.add_argument("--kind", action="append", default=[], help="only this kind of document (repeatable)")


def add_scoring_options(p: argparse.ArgumentParser, note: str = "") -> None:
    """How the hybrid's scores are made and fused (each default: the tuned one); ``note`` starts
    each help text (``"BEIR: "`` where only the BEIR run reads them)."""
    p.add_argument("--dense-weight", type=float, default=None, help=f"{note}weight of the dense scores in convex fusion")
    p.add_argument("--normalisation", choices=("minmax", "zscore"), default=None,
                   help=f"{note}how convex fusion scales each list's scores")
    p.add_argument("--fill-scores", action=argparse.BooleanOptionalAction, default=None,
                   help=f"{note}convex fusion scores each candidate by both retrievers")
    p.add_argument("--sentence-weight", type=float, default=None,
                   help=f"{note}share of a passage's dense score given by its best sentence")


def settings_from_args(args, k: int | None = None):
    """SearchSettings from the parsed search options (tuned defaults where not given)."""
    return search_settings(k=k or args.k, mode=args.mode, docs=args.doc, kinds=args.kind,
                           fusion=args.fusion, rrf_k=args.rrf_k, dense_weight=args.dense_weight,
                           normalisation=args.normalisation, fill_scores=args.fill_scores,
                           sentence_weight=args.sentence_weight)


def open_index(args) -> Index:
    """The index at ``--index``; stale or missing indexes raise with the fix in the message."""
    return Index.open(Path(args.index), model=args.model, backend=backend_from_args(args))


def progress_bar():
    """A progress callback ``(stage, n, total)`` drawing one tqdm bar per stage, and the bars."""
    from tqdm import tqdm

    bars = {}

    def update(stage: str, n: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, disable=total == 0)
        bars[stage].update(n)

    return update, bars


def hit_json(hit, documents) -> dict:
    """One passage as ``qa search --json`` prints it."""
    doc = documents.get(hit.chunk.doc_id)
    c = hit.chunk
    return {"rank": hit.rank, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": doc.title if doc else "",
            "kind": doc.kind if doc else "", "text": c.text, "start": c.start, "end": c.end,
            "page": c.pages[0] if c.pages else None, "pages": list(c.pages), "section": c.section,
            "score": hit.score, "bm25_rank": hit.bm25_rank, "bm25_score": hit.bm25_score,
            "dense_rank": hit.dense_rank, "dense_score": hit.dense_score}


def print_hits(hits, documents) -> None:
    """Passages as a readable list: rank, place, ranks by each retriever, the first lines."""
    if not hits:
        print("no passage matches")
        return
    for hit in hits:
        c = hit.chunk
        doc = documents.get(c.doc_id)
        where = f"p. {c.pages[0]}" if c.pages else (c.section or "-")
        ranks = f"bm25 #{hit.bm25_rank or '-'}  dense #{hit.dense_rank or '-'}  score {hit.score:.4f}"
        print(f"{hit.rank:>2}. {c.doc_id}  [{c.start}:{c.end}]  {where}  ({ranks})")
        if doc:
            print(f"    {doc.title}")
        print(textwrap.indent(textwrap.fill(c.text, 96, max_lines=4, placeholder=" …"), "    "))


def beir_index_dir(args, folder: Path) -> Path:
    """``--index`` when given, else a cache folder per dataset (eval/cache/beir-NAME)."""
    index = Path(args.index)
    if index == Path(os.environ.get("QA_INDEX", "index")):
        index = Path("eval/cache") / f"beir-{folder.resolve().name}"
    return index


def beir_backend(args, folder: Path, index: Path):
    """The back end for a BEIR run; Milvus's collection is named after the dataset unless given."""
    import re

    if args.milvus_collection is None and not os.environ.get("QA_MILVUS_COLLECTION"):
        args.milvus_collection = "beir_" + re.sub(r"\W", "_", folder.resolve().name)
    return backend_from_args(args, index)
