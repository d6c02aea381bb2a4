"""Citations: numbered references with page or section, deep links, and which source comes first."""

from __future__ import annotations

from urllib.parse import quote as urlquote

from qa.types import Citation, Document

def primacy(doc: Document) -> int:
    """Where ``doc`` comes in citation order: its catalog ``primacy`` (lower first), so
    primary sources are cited before the articles that quote them."""
    return doc.primacy


def make_citation(n: int, doc: Document, start: int, end: int) -> Citation:
    """Citation number ``n`` of ``doc.text[start:end]``, with a reference line and a deep link."""
    page = doc.page_at(start)
    section = doc.section_at(start)
    return Citation(n=n, doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, date=doc.date,
                    page=page, section=section, start=start, end=end, quote=doc.text[start:end],
                    url=fragment_url(doc.url, doc.text[start:end]) if doc.url else "",
                    reference=reference_line(doc, page, section))


def reference_line(doc: Document, page: int | None, section: str) -> str:
    """E.g. ``U.S. Department of State, "A Strategic Framework for Space Diplomacy", 2023, p. 24``."""
    parts = [doc.publisher] if doc.publisher else []
    parts.append(f"\u201c{doc.title}\u201d")
    if doc.date:
        parts.append(doc.date)
    if page is not None:
        parts.append(f"p. {page}")
    elif section:
        parts.append(f"section \u201c{section}\u201d")
    return ", ".join(parts)


def _fragment_part(words: list[str]) -> str:
    return urlquote(" ".join(words), safe="").replace("-", "%2D")


def fragment_url(url: str, quote: str) -> str:
    """``url`` with a text fragment (``#:~:text=start,end``) that opens the page at the quote."""
    words = quote.split()
    if not words:
        return url
    base = url.split("#", 1)[0]
    if len(words) <= 8:
        return f"{base}#:~:text={_fragment_part(words)}"
    return f"{base}#:~:text={_fragment_part(words[:4])},{_fragment_part(words[-4:])}"


