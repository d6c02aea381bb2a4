"""The ``qa`` command: parses arguments, calls the library, prints tables or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

from .types import QAError


def _paths(args) -> tuple[Path, Path]:
    return Path(args.corpus), Path(args.index)


def _common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("--corpus", default=os.environ.get("QA_CORPUS", "corpus"), help="corpus folder (default: corpus, or $QA_CORPUS)")
    p.add_argument("--index", default=os.environ.get("QA_INDEX", "index"), help="index folder (default: index, or $QA_INDEX)")
    p.add_argument("--model", default=None, help="embedding model name or local path (default: $QA_MODEL or all-MiniLM-L6-v2)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _search_options(p: argparse.ArgumentParser, k: int) -> None:
    p.add_argument("--mode", choices=("bm25", "dense", "hybrid"), default="hybrid")
    p.add_argument("--k", type=int, default=k, help="how many passages")
    p.add_argument("--fusion", choices=("rrf", "convex"), default=None, help="hybrid fusion (default: the tuned one)")
    p.add_argument("--rrf-k", type=float, default=None)
    p.add_argument("--dense-weight", type=float, default=None, help="weight of the dense scores in convex fusion")
    p.add_argument("--doc", action="append", default=[], help="only this document id (repeatable)")
    p.add_argument("--kind", action="append", default=[], help="only this kind of document (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited extractive question answering over a document corpus.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load, clean, chunk and index the corpus")
    _common(p)
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")

    p = sub.add_parser("search", help="ranked passages for a query")
    _common(p)
    p.add_argument("query")
    _search_options(p, 10)

    from . import commands, evalcli

    commands.add_parsers(sub, _common, _search_options)
    evalcli.add_parsers(sub, _common, _search_options)
    return parser


def progress_bar():
    """A progress callback ``(stage, n, total)`` drawing one tqdm bar per stage, and the bars."""
    from tqdm import tqdm

    bars = {}

    def update(stage: str, n: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, disable=total == 0)
        bars[stage].update(n)

    return update, bars


def cmd_ingest(args) -> int:
    from .embed import Encoder, model_name_from_env
    from .ingest import IndexSettings, index_status, ingest

    corpus, index = _paths(args)
    model = args.model or model_name_from_env()
    settings = IndexSettings(model=model)
    if args.if_stale:
        status = index_status(corpus, index, settings, model)
        if status == "fresh":
            print(f"index at {index} is up to date")
            return 0
        print(status, file=sys.stderr)
    update, bars = progress_bar()
    report = ingest(corpus, index, Encoder(model), settings, progress=update)
    for bar in bars.values():
        bar.close()
    for error in report.errors:
        print(f"skipped {error}", file=sys.stderr)
    summary = {"documents": report.documents, "chunks": report.chunks, "pages": report.pages,
               "encoded_chunks": report.encoded_chunks, "reused_chunks": report.reused_chunks,
               "failed_files": len(report.errors), "seconds": round(report.seconds, 2)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"indexed {report.documents} documents, {report.chunks} chunks, {report.pages} pages in "
              f"{report.seconds:.1f} s ({report.encoded_chunks} chunks embedded, {report.reused_chunks} reused"
              + (f"; {len(report.errors)} files failed)" if report.errors else ")"))
    return 0


def search_settings(args, k: int | None = None):
    from .retrieve import SearchSettings
    from .tuning import DEFAULT_FUSION

    fusion = args.fusion or DEFAULT_FUSION["fusion"]
    return SearchSettings(
        mode=args.mode, k=k or args.k, fusion=fusion,
        rrf_k=args.rrf_k if args.rrf_k is not None else DEFAULT_FUSION["rrf_k"],
        dense_weight=args.dense_weight if args.dense_weight is not None else DEFAULT_FUSION["dense_weight"],
        depth=max(100, k or args.k), doc_ids=tuple(args.doc), kinds=tuple(args.kind),
    )


def open_retriever(args):
    """A Retriever over ``--index``; stale or missing indexes raise with the fix in the message."""
    from .retrieve import Retriever
    from .store import load_index

    _, index = _paths(args)
    retriever = Retriever(load_index(index))
    if args.model and args.model != retriever.data.manifest["model"]["name"]:
        raise QAError(f"the index was built with model {retriever.data.manifest['model']['name']!r}, "
                      f"not {args.model!r}: run `qa ingest --model {args.model}`")
    return retriever


def hit_json(hit, documents) -> dict:
    doc = documents.get(hit.chunk.doc_id)
    c = hit.chunk
    return {"rank": hit.rank, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": doc.title if doc else "",
            "kind": doc.kind if doc else "", "text": c.text, "start": c.start, "end": c.end,
            "page": c.pages[0] if c.pages else None, "pages": list(c.pages), "section": c.section,
            "score": hit.score, "bm25_rank": hit.bm25_rank, "bm25_score": hit.bm25_score,
            "dense_rank": hit.dense_rank, "dense_score": hit.dense_score}


def print_hits(hits, documents) -> None:
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


def cmd_search(args) -> int:
    retriever = open_retriever(args)
    hits = retriever.search(args.query, search_settings(args))
    if args.json:
        print(json.dumps({"query": args.query, "mode": args.mode,
                          "hits": [hit_json(h, retriever.data.documents) for h in hits]}, ensure_ascii=False))
    else:
        print_hits(hits, retriever.data.documents)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``qa`` console script; returns the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    from . import commands, evalcli

    handlers = {"ingest": cmd_ingest, "search": cmd_search, **commands.HANDLERS, **evalcli.HANDLERS}
    try:
        return handlers[args.command](args)
    except (QAError, ValueError) as exc:
        print(f"qa {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
