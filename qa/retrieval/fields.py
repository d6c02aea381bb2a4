"""A passage's BM25 terms from its fields: the text, and a title field (its document's title and
its section heading) counted ``title_weight`` more times.

Repeating a field's terms is the simplest BM25F (Robertson, Zaragoza and Taylor, CIKM 2004): the
title's terms weigh more in the passage's term frequencies and length. A passage's title says
what all of it is about, which its own words may not repeat.
"""

from __future__ import annotations

from qa.retrieval.tokenize import tokenize
from qa.types import Document


def passage_title(doc: Document | None, section: str) -> str:
    """The title field of a passage of ``doc`` under ``section``: the document's title (unless that
    is only the document's id or file name) and the section heading (unless the same), joined by
    " / "; "" when neither."""
    parts = []
    if doc is not None and doc.title.strip() and doc.title.strip() not in (doc.doc_id, doc.path):
        parts.append(doc.title.strip())
    section = section.strip()
    if section and section not in parts:
        parts.append(section)
    return " / ".join(parts)


def passage_terms(text: str, title: str, title_weight: int) -> list[str]:
    """``tokenize(title)`` repeated ``title_weight`` times, then ``tokenize(text)``; only the text's
    terms when the weight is 0 or the title is empty. Raises ValueError for a negative weight."""
    if title_weight < 0:
        raise ValueError(f"title_weight must be >= 0, got {title_weight}")
    body = tokenize(text)
    if not title_weight or not title.strip():
        return body
    return tokenize(title) * title_weight + body
