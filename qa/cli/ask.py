"""The ``qa search``, ``qa ask`` and ``qa cite`` sub-commands (thin handlers over qa.api)."""

from __future__ import annotations

import json
import textwrap

from qa.cli.common import (
    add_common,
    add_search_options,
    hit_json,
    open_index,
    print_hits,
    settings_from_args,
)


def add_parsers(sub) -> None:
    p = sub.add_parser("search", help="ranked passages for a query")
    add_common(p)
    p.add_argument("query")
    add_search_options(p, 10)

    p = sub.add_parser("ask", help="answer a question with a cited verbatim quote")
    add_common(p)
    p.add_argument("question")
    add_search_options(p, 5)

    p = sub.add_parser("cite", help="find every place a quote appears, exactly or nearly")
    add_common(p)
    p.add_argument("quote")
    p.add_argument("--limit", type=int, default=20)


def cmd_search(args) -> int:
    index = open_index(args)
    hits = index.search(args.query, settings=settings_from_args(args))
    if args.json:
        print(json.dumps({"query": args.query, "mode": args.mode,
                          "hits": [hit_json(h, index.documents) for h in hits]}, ensure_ascii=False))
    else:
        print_hits(hits, index.documents)
    return 0


def cmd_ask(args) -> int:
    from qa.answers.answer import ABSTAIN_TEXT, AnswerSettings, answer_to_json

    index = open_index(args)
    ans = index.ask(args.question, settings=settings_from_args(args, k=max(args.k, AnswerSettings().passages)))
    docs = index.documents
    if args.json:
        print(json.dumps(answer_to_json(ans, lambda h: hit_json(h, docs)), ensure_ascii=False))
        return 0
    if ans.abstained:
        print(f"{ABSTAIN_TEXT} (confidence {ans.confidence:.2f})\n\nClosest passages:")
        print_hits(list(ans.passages)[: args.k], docs)
        return 0
    a = ans.answer
    print(textwrap.fill(f"\u201c{a.text}\u201d " + " ".join(f"[{c.n}]" for c in ans.citations), 100))
    if a.short:
        print(f"\nShort answer: {a.short}")
    print(f"Confidence: {ans.confidence:.2f}\n")
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
