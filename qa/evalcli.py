"""The ``qa eval`` and ``qa bench`` sub-commands."""

from __future__ import annotations

HANDLERS: dict = {}


def add_parsers(sub, common, search_options) -> None:
    """Register ``eval`` and ``bench``."""
