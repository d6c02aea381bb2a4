"""The ``qa ingest`` sub-command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.cli.common import add_common, backend_from_args, progress_bar


def add_parsers(sub) -> None:
    p = sub.add_parser("ingest", help="load, clean, chunk and index the corpus")
    add_common(p)
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")


def cmd_ingest(args) -> int:
    from qa.retrieval.build import IndexSettings, index_status, ingest
    from qa.retrieval.encoder import Encoder, model_name_from_env

    corpus, index = Path(args.corpus), Path(args.index)
    model = args.model or model_name_from_env()
    settings = IndexSettings(model=model)
    choice = backend_from_args(args)
    if args.if_stale:
        if choice.name == "milvus":
            from qa.retrieval.milvus_ingest import milvus_status

            status = milvus_status(corpus, index, settings, model, choice.milvus)
        else:
            status = index_status(corpus, index, settings, model)
        if status == "fresh":
            print(f"index at {index} is up to date")
            return 0
        print(status, file=sys.stderr)
    update, bars = progress_bar()
    if choice.name == "milvus":
        from qa.retrieval.milvus_ingest import ingest_milvus

        report = ingest_milvus(corpus, index, Encoder(model), choice.milvus, settings, progress=update)
    else:
        report = ingest(corpus, index, Encoder(model), settings, progress=update)
    for bar in bars.values():
        bar.close()
    for error in report.errors:
        print(f"skipped {error}", file=sys.stderr)
    summary = {"documents": report.documents, "chunks": report.chunks, "pages": report.pages,
               "encoded_chunks": report.encoded_chunks, "reused_chunks": report.reused_chunks,
               "failed_files": len(report.errors), "seconds": round(report.seconds, 2), "backend": choice.name}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"indexed {report.documents} documents, {report.chunks} chunks, {report.pages} pages in "
              f"{report.seconds:.1f} s ({report.encoded_chunks} chunks embedded, {report.reused_chunks} reused"
              + (f"; {len(report.errors)} files failed)" if report.errors else ")"))
    return 0


HANDLERS = {"ingest": cmd_ingest}
