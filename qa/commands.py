"""Sub-commands beyond ingest and search: ask, cite, eval, bench (each a thin handler)."""

from __future__ import annotations

HANDLERS: dict = {}


def add_parsers(sub, common, search_options) -> None:
    """Register the extra sub-commands on the ``qa`` parser."""
