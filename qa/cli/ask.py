"""The ``qa search``, ``qa ask`` and ``qa cite`` sub-commands (thin handlers over qa.api)."""

from __future__ import annotations

import json
import os
import sys
import textwrap

from qa.cli.common import (
    add_common,
    add_search_options,
    hit_json,
    open_index,
    print_hits,
    settings_from_args,
)
from qa.types import SettingsError


def add_parsers(sub) -> None:
    p = sub.add_parser("search", help="ranked passages for a query")
    add_common(p)
    p.add_argument("query", nargs="?", default=None)
    p.add_argument("--queries", default=None, metavar="FILE",
                   help="one query per line or JSONL ('query' or 'question' field; - for stdin): prints JSONL")
    add_search_options(p, 10)

    p = sub.add_parser("ask", help="answer a question with a cited verbatim quote")
    add_common(p)
    p.add_argument("question", nargs="?", default=None)
    p.add_argument("--questions", default=None, metavar="FILE",
                   help="one question per line or JSONL ('question' field; - for stdin): prints JSONL")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="with --questions: questions answered side by side (default: the CPU cores, at most 4; "
                        "each model then runs one thread unless QA_ONNX_THREADS says otherwise)")
    add_search_options(p, 5)

    p = sub.add_parser("cite", help="find every place a quote appears, exactly or nearly")
    add_common(p)
    p.add_argument("quote")
    p.add_argument("--limit", type=int, default=20)


def _one_or_file(args, single: str, many: str) -> str | None:
    """The file of ``--{many}`` or None for a single ``{single}``; raises SettingsError unless
    exactly one of them is given."""
    text, path = getattr(args, single), getattr(args, many)
    if (text is None) == (path is None):
        raise SettingsError(f"give a {single} or --{many} FILE (one per line, or - for standard input), not "
                            + ("both" if path is not None else "neither"))
    return path


def batch_workers(asked: int | None) -> int:
    """The threads ``qa ask --questions`` answers with (``asked``, else the cores up to 4); with
    more than one, ONNX Runtime's sessions get one thread each unless QA_ONNX_THREADS is set,
    so the threads do not contend for the cores (set before any model loads)."""
    if asked is not None and asked < 1:
        raise SettingsError(f"--workers must be at least 1, got {asked}")
    workers = asked or max(1, min(os.cpu_count() or 1, 4))
    if workers > 1:
        os.environ.setdefault("QA_ONNX_THREADS", "1")
    return workers


def cmd_search(args) -> int:
    path = _one_or_file(args, "query", "queries")
    index = open_index(args)
    if path is not None:
        from qa.cli.batch import open_lines, read_items, run_batch
        from qa.retrieval.retriever import clean_query

        settings, docs = settings_from_args(args), index.documents
        lines, total = open_lines(path)

        def block(queries):
            return [{"query": q, "mode": args.mode, "hits": [hit_json(h, docs) for h in hits]}
                    for q, hits in zip(queries, index.search_many(queries, settings))]

        bad = run_batch(read_items(lines, ("query", "question")), block, clean_query, sys.stdout, total, "queries")
        return 2 if bad else 0
    hits = index.search(args.query, settings=settings_from_args(args))
    if args.json:
        print(json.dumps({"query": args.query, "mode": args.mode,
                          "hits": [hit_json(h, index.documents) for h in hits]}, ensure_ascii=False))
    else:
        print_hits(hits, index.documents)
    return 0


def cmd_ask(args) -> int:
    from qa.answers.answer import ABSTAIN_TEXT, AnswerSettings, answer_to_json

    path = _one_or_file(args, "question", "questions")
    workers = batch_workers(args.workers) if path is not None else 1
    index = open_index(args)
    settings = settings_from_args(args, k=max(args.k, AnswerSettings().passages))
    docs = index.documents
    if path is not None:
        from qa.cli.batch import open_lines, read_items, run_batch
        from qa.retrieval.retriever import clean_query

        lines, total = open_lines(path)

        def block(questions):
            rows = [answer_to_json(a, lambda h: hit_json(h, docs)) for a in index.ask_many(questions, settings, workers=workers)]
            return [{k: v for k, v in row.items() if k not in ("passages", "timings_ms")} for row in rows]

        bad = run_batch(read_items(lines, ("question",)), block, clean_query, sys.stdout, total, "questions")
        return 2 if bad else 0
    ans = index.ask(args.question, settings=settings)
    if args.json:
        print(json.dumps(answer_to_json(ans, lambda h: hit_json(h, docs)), ensure_ascii=False))
        return 0
    if ans.abstained:
        print(f"{ABSTAIN_TEXT} (chance it answers: {ans.confidence:.0%})\n\nClosest passages:")
        print_hits(list(ans.passages)[: args.k], docs)
        return 0
    a = ans.answer
    print(textwrap.fill(f"\u201c{a.text}\u201d " + " ".join(f"[{c.n}]" for c in ans.citations), 100))
    if a.short:
        print(f"\nShort answer: {a.short}")
    print(f"Confidence: {ans.confidence:.0%} (calibrated chance that the quote answers the question)\n")
    for c in ans.citations:
        where = f"p. {c.page}" if c.page is not None else (c.section or "-")
        print(f"[{c.n}] {c.reference}\n    {c.doc_id} [{c.start}:{c.end}] {where}" + (f"\n    {c.url}" if c.url else ""))
    print("\nPassages:")
    print_hits(list(ans.passages)[: args.k], docs)
    return 0


def cmd_cite(args) -> int:
    matches = open_index(args).cite(args.quote, limit=args.limit)
    if args.json:
        print(json.dumps({"quote": args.quote, "matches": [m.__dict__ for m in matches]}, ensure_ascii=False))
        return 0
    if not matches:
        print("The quote was not found in any document, exactly or nearly.")
        return 0
    for m in matches:
        where = f"p. {m.page}" if m.page is not None else (m.section or "-")
        kind = "exact" if m.exact else f"near, similarity {m.similarity:.2f}"
        print(f"{m.doc_id} [{m.start}:{m.end}] {where} ({kind})\n    {m.title}")
        print(textwrap.indent(textwrap.fill(f"…{m.context_before[-60:]}[{m.text}]{m.context_after[:60]}…", 96), "    "))
    return 0


HANDLERS = {"search": cmd_search, "ask": cmd_ask, "cite": cmd_cite}
