"""The Documents page section: the library table and the reading view."""

from __future__ import annotations

from qa.web.loading import wait_index
from qa.web.reading import reader_ui
from qa.web.session import html
from qa.web.view import esc

COLUMNS = (("id", "id", ""), ("title", "title", ""), ("publisher", "publisher", ""), ("date", "date", ""),
           ("kind", "kind", ""), ("pages", "pages", "n"), ("chunks", "passages", "n"))


def library_rows(index) -> list[dict]:
    """One row per document: id, title, publisher, date, kind, pages (None if unknown), chunks."""
    counts = {d["doc_id"]: d for d in index.manifest.get("corpus", {}).get("documents", [])}
    return [{"id": d.doc_id, "title": d.title, "publisher": d.publisher, "date": d.date, "kind": d.kind,
             "pages": d.page_count or None, "chunks": counts.get(d.doc_id, {}).get("chunks")}
            for d in index.documents.values()]


def library_html(rows: list[dict]) -> str:
    """The library as an escaped HTML table whose text wraps, so no column is ever cut off."""
    def cell(tag: str, cls: str, text) -> str:
        attr = f' class="{cls}"' if cls else ""
        return f'<{tag}{attr}>{esc("" if text is None else text)}</{tag}>'

    head = "".join(cell("th", cls, label) for _, label, cls in COLUMNS)
    body = "".join("<tr>" + "".join(cell("td", cls, row[key]) for key, _, cls in COLUMNS) + "</tr>" for row in rows)
    return f'<table class="library"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def documents_ui(loader) -> None:
    index = wait_index(loader)
    html(library_html(library_rows(index)))
    reader_ui(index)
