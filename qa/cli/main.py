"""The ``qa`` command: parses arguments and hands each sub-command to its module."""

from __future__ import annotations

import argparse
import os
import sys

from qa.cli import ask, evaluate, fit, ingest, reader
from qa.types import QAError

HANDLERS = {**ingest.HANDLERS, **ask.HANDLERS, **evaluate.HANDLERS, **fit.HANDLERS, **reader.HANDLERS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited extractive question answering over a document corpus.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (ingest, ask, evaluate, fit, reader):
        module.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``qa`` console script; returns the exit status.

    The project's own errors (``QAError`` and its subclasses: bad input, bad settings, a stale
    index) print one line and return 2. Anything else is a bug and propagates with its traceback
    (exit status 1 from the interpreter), so it is never mistaken for a handled bad input.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except QAError as exc:
        print(f"qa {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
