"""The Ask and Find-a-quote page sections: cited answers, passages, quote lookup.

The question box is drawn before anything waits for the index or the model. An answer is kept
in the session (``st.session_state["asked"]``), so reruns (opening a citation, switching pages and
back) draw it again without asking again.
"""

from __future__ import annotations

import streamlit as st

from qa.types import QAError
from qa.web.loading import loading_note, wait_index, wait_ready
from qa.web.reading import open_button, passage_ui
from qa.web.session import html
from qa.web.view import diff_words, esc, highlight, md_escape, safe_url

EXAMPLE = "What value did one NGO estimate for the global space economy in 2021?"


def search_controls_ui(index) -> dict:
    """Sidebar controls for retrieval; returns SearchSettings keyword arguments."""
    with st.sidebar.expander("Retrieval settings", expanded=False):
        mode = st.selectbox("Mode", ("hybrid", "rerank", "bm25", "dense"), key="mode")
        k = st.slider("Passages", 1, 20, 5, key="k")
        docs = sorted(index.documents)
        chosen = st.multiselect("Only these documents", docs, key="docs")
        kinds = sorted({d.kind for d in index.documents.values()})
        chosen_kinds = st.multiselect("Only these kinds", kinds, key="kinds")
    return {"mode": mode, "k": k, "doc_ids": tuple(chosen), "kinds": tuple(chosen_kinds)}


def passages_ui(index, hits, quote_span=None) -> None:
    st.markdown("#### Passages")
    docs = index.documents
    for hit in hits:
        c = hit.chunk
        doc = docs.get(c.doc_id)
        where = f"p. {c.pages[0]}" if c.pages else (c.section or "")
        why = (f"BM25 #{hit.bm25_rank or '–'}" + (f" ({hit.bm25_score:.2f})" if hit.bm25_score else "")
               + f" · embedding #{hit.dense_rank or '–'}" + (f" ({hit.dense_score:.2f})" if hit.dense_score else "")
               + f" · fused {hit.score:.4f}")
        spans = []
        if quote_span and quote_span[0] == c.doc_id:
            spans = [(quote_span[1], quote_span[2], "quote")]
        label = md_escape(f"{hit.rank}. {doc.title if doc else c.doc_id} — {where}")
        with st.expander(label, expanded=hit.rank == 1):
            html(f'<div class="meta">{esc(why)} · {esc(c.doc_id)} [{c.start}:{c.end}]</div>'
                 f'<div>{highlight(c.text, spans, base=c.start)}</div>')
            open_button("read in context", c.doc_id, c.start, c.end, key=f"passage-{hit.rank}")


def ask_ui(loader) -> None:
    """The question box at once; the answer when the model is ready (kept for later reruns)."""
    from qa.retrieval.retriever import SearchSettings

    state = st.session_state
    # the box's own state goes while another page shows (or comes back empty when the switch
    # interrupted a run): the question asked last fills it again
    if "asked" in state and not state.get("question"):
        state["question"] = state["asked"]["question"]
    with st.form("ask"):
        question = st.text_input("Question", key="question", placeholder=EXAMPLE)
        asked = st.form_submit_button("Ask")
    index = wait_index(loader)
    settings = search_controls_ui(index)
    if asked:
        state.pop("passage", None)
        index = wait_ready(loader)
        try:
            with loader.lock:
                answer = index.ask(question, settings=SearchSettings(**settings))
        except QAError as exc:
            state.pop("asked", None)
            st.error(md_escape(exc))
            return
        state["asked"] = {"question": question, "answer": answer}
    if "asked" in state:
        answer_ui(index, state["asked"]["answer"])
        passage_ui(index)
    elif not loader.ready:
        loading_note(loader)


def answer_ui(index, ans) -> None:
    """The answer (or the refusal), its citations with buttons to read them, and the passages."""
    from qa.answers.answer import ABSTAIN_TEXT

    docs = index.documents
    if ans.abstained:
        html(f'<div class="refusal">{esc(ABSTAIN_TEXT)} <span class="meta">(chance it answers: {ans.confidence:.0%})</span></div>')
        st.caption("The closest passages:")
        passages_ui(index, ans.passages)
        return
    a = ans.answer
    spans = [(a.start, a.end, "quote")] + ([(a.short_start, a.short_end, "short")] if a.short else [])
    marks = " ".join(f"[{c.n}]" for c in ans.citations)
    html(f'<div class="answer">“{highlight(a.text, spans, base=a.start)}” {esc(marks)}</div>')
    if a.short:
        html(f'<div>Short answer: <b>{esc(a.short)}</b> <span class="meta">· chance this quote answers the question: {ans.confidence:.0%}</span></div>')
    st.markdown("#### Citations")
    for c in ans.citations:
        where = f"p. {c.page}" if c.page is not None else (f"section “{c.section}”" if c.section else "")
        doc = docs[c.doc_id]
        source = safe_url(c.url) or safe_url(doc.url)
        link = f' · <a href="{esc(source)}" target="_blank" rel="noopener">source</a>' if source else ""
        html(f'<div class="cite"><b>[{c.n}]</b> {esc(c.title)} — {esc(c.publisher or "publisher unknown")}'
             f'{", " + esc(c.date) if c.date else ""}{", " + esc(where) if where else ""}'
             f' <span class="meta">[{c.start}:{c.end}]</span>{link}</div>')
        open_button(f"[{c.n}] open in the document", c.doc_id, c.start, c.end, key=f"cite-{c.n}")
        st.caption(f"Reference [{c.n}] — copy it with the button on the right:")
        st.code(c.reference, language="text", wrap_lines=True)
    passages_ui(index, ans.passages, (a.doc_id, a.start, a.end))


def quote_ui(loader) -> None:
    """Quote lookup; the last lookup is kept in the session like the last answer."""
    state = st.session_state
    if "quote" not in state and "quoted" in state:
        state["quote"] = state["quoted"][0]
    with st.form("cite"):
        quote = st.text_area("Quote or claim", key="quote", height=100,
                             placeholder="Paste a quote from the press to check it against the sources")
        go = st.form_submit_button("Find")
    index = wait_index(loader)
    if go:
        try:
            with loader.lock:
                state["quoted"] = (quote, index.cite(quote))
        except QAError as exc:
            state.pop("quoted", None)
            st.error(md_escape(exc))
            return
    if "quoted" in state:
        matches_ui(index, *state["quoted"])
        passage_ui(index)


def matches_ui(index, quote: str, matches) -> None:
    if not matches:
        st.info("The quote was not found in any document, exactly or nearly.")
        return
    st.write(f"{len(matches)} place(s) found.")
    for n, m in enumerate(matches):
        where = f"p. {m.page}" if m.page is not None else (m.section or "")
        kind = "exact" if m.exact else f"near · similarity {m.similarity:.2f}"
        left, right = diff_words(" ".join(quote.split()), m.text) if not m.exact else (esc(quote), esc(m.text))
        html(f'<div class="cite"><b>{esc(m.title)}</b> <span class="meta">{esc(m.doc_id)} · {esc(where)} · '
             f'[{m.start}:{m.end}] · {esc(kind)}</span></div>')
        open_button("open in the document", m.doc_id, m.start, m.end, key=f"match-{n}", back="Find a quote")
        col1, col2 = st.columns(2)
        with col1:
            html(f"<div class='meta'>Your quote</div><div>{left}</div>")
        with col2:
            html(f"<div class='meta'>Source</div><div>…{esc(m.context_before[-80:])}<mark class='quote'>{right}</mark>"
                 f"{esc(m.context_after[:80])}…</div>")
