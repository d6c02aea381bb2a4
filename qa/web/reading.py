"""Reading a cited passage in context: a dialog over the answer, and the whole-document view.

Following a citation never reloads the page: a button opens ``passage_dialog`` over the answer
(closing it leaves the question and answer where they were), and "Read the whole document"
switches to the Documents page inside the session, with a button back to the answer.
"""

from __future__ import annotations

import streamlit as st

from qa.web.session import go_to, html
from qa.web.view import context_span, esc, md_escape, reading_html


def where(doc, start: int) -> str:
    """"page N" or "section S" at ``start`` of ``doc``, or ""."""
    page = doc.page_at(start)
    if page is not None:
        return f"page {page}"
    section = doc.section_at(start)
    return f"section “{section}”" if section else ""


def cited_caption(doc, start: int, end: int) -> str:
    """The reading view's caption (Markdown): the cited span and where it is, its section title
    (document text) escaped."""
    place = where(doc, start)
    return f"Cited passage [{start}:{end}]" + (f", {md_escape(place)}" if place else "")


def close_passage() -> None:
    st.session_state.pop("passage", None)


@st.dialog("In the document", width="large", on_dismiss=close_passage)
def passage_dialog(index, doc_id: str, start: int, end: int, back: str = "Ask") -> None:
    """The passage ``[start, end)`` of ``doc_id`` with the text around it and its page numbers."""
    doc = index.documents[doc_id]
    lo, hi = context_span(doc.text, start, end)
    place = where(doc, start)
    html(f"<div class='meta'><b>{esc(doc.title)}</b> · {esc(doc_id)} [{start}:{end}]"
         f"{' · ' + esc(place) if place else ''}</div>")
    html(reading_html(doc, lo, hi, cited=(start, end)))
    if st.button("Read the whole document", key="read-whole"):
        close_passage()
        go_to("Documents", (doc_id, start, end))
        st.session_state["back"] = back
        st.rerun()


def open_button(label: str, doc_id: str, start: int, end: int, key: str, back: str = "Ask") -> None:
    """A button that opens the passage over the page (no reload; the page's state stays)."""
    st.button(label, key=key, type="tertiary", on_click=st.session_state.__setitem__,
              args=("passage", (doc_id, start, end, back)))


def passage_ui(index) -> None:
    """The passage dialog, while one is open (it stays open across reruns until dismissed)."""
    opened = st.session_state.get("passage")
    if opened and opened[0] in index.documents:
        passage_dialog(index, *opened)


def reader_ui(index) -> None:
    """The Documents page's reading view: a document chosen here or from a citation, page numbers
    shown, the cited passage marked and scrolled to."""
    state = st.session_state
    ids = list(index.documents)
    doc_id, start, end = state.get("reading") or (None, -1, -1)
    if state.get("read_doc") not in ids:   # a widget's state is dropped while its page is not shown
        state["read_doc"] = doc_id if doc_id in ids else ids[0]
    if state.get("back"):
        if st.button(f"← Back to {state['back']}", key="back-button"):
            go_to(state.pop("back"))
            st.rerun()
    chosen = st.selectbox("Read", ids, key="read_doc")
    doc = index.documents[chosen]
    cited = (start, end) if chosen == doc_id and 0 <= start < end <= len(doc.text) else None
    meta = " · ".join(x for x in (doc.publisher, doc.date, doc.kind, doc.author) if x)
    pages = f" · {doc.page_count} pages" if doc.page_count else ""
    html(f"<h3>{esc(doc.title)}</h3><div class='meta'>{esc(meta)}{pages}</div>")
    if cited:
        st.caption(cited_caption(doc, start, end))
    html(reading_html(doc, cited=cited))
    if cited:
        import streamlit.components.v1 as components

        components.html("<script>const m = window.parent.document.getElementById('cited');"
                        "if (m) { m.scrollIntoView({block: 'center'}); }</script>", height=0)
