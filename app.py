"""The web page: ask, find a quote, read documents, evaluate, add documents. Rendering only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.webview import (UPLOAD_TYPES, check_upload, diff_words, esc, highlight, md_escape, reading_link,
                        safe_upload_name, safe_url)

PAGES = ("Ask", "Find a quote", "Documents", "Evaluate", "Add documents")
CSS = """<style>
mark.quote {background:#fff3b0; padding:0 2px;} mark.short {background:#ffc94d; font-weight:600;}
mark.cited {background:#fff3b0; outline:2px solid #e0a800;}
.answer {font-size:1.15rem; border-left:4px solid #e0a800; padding:.4rem .9rem; margin:.4rem 0 .8rem;}
.refusal {font-size:1.1rem; border-left:4px solid #999; padding:.4rem .9rem;}
.cite {margin:.2rem 0 .6rem;} .meta {color:#666; font-size:.85rem;}
.reader {white-space:pre-wrap; font-family:Georgia,serif; line-height:1.55; max-width:52rem;}
del {background:#ffd6d6;} ins {background:#d6f5d6; text-decoration:none;}
</style>"""


def corpus_dir() -> Path:
    return Path(os.environ.get("QA_CORPUS", "corpus"))


def index_dir() -> Path:
    return Path(os.environ.get("QA_INDEX", "index"))


@st.cache_resource(show_spinner="Loading the embedding model…")
def load_encoder():
    from qa.embed import Encoder

    return Encoder()


@st.cache_resource(show_spinner="Loading the index…")
def load_retriever(index: str, generation: str):
    """One Retriever and QuoteFinder per index generation; a rebuilt index is a new cache key."""
    from qa.cite import QuoteFinder
    from qa.retrieve import Retriever
    from qa.store import load_index

    retriever = Retriever(load_index(Path(index)), load_encoder())
    return retriever, QuoteFinder(retriever.data)


def html(markup: str) -> None:
    """Render HTML built by qa.webview (every document or user string in it is escaped)."""
    st.markdown(markup, unsafe_allow_html=True)


def open_index():
    from qa.store import read_manifest

    try:
        generation = read_manifest(index_dir())["generation"]
        return load_retriever(str(index_dir()), generation)
    except QAError as exc:
        st.error(f"{md_escape(exc)}. Run `make run` (or `qa ingest`) to build the index.")
        st.stop()


def search_controls_ui(retriever) -> dict:
    """Sidebar controls for retrieval; returns SearchSettings keyword arguments."""
    with st.sidebar.expander("Retrieval settings", expanded=False):
        mode = st.selectbox("Mode", ("hybrid", "bm25", "dense"), key="mode")
        k = st.slider("Passages", 1, 20, 5, key="k")
        docs = sorted(retriever.data.documents)
        chosen = st.multiselect("Only these documents", docs, key="docs")
        kinds = sorted({d.kind for d in retriever.data.documents.values()})
        chosen_kinds = st.multiselect("Only these kinds", kinds, key="kinds")
    return {"mode": mode, "k": k, "doc_ids": tuple(chosen), "kinds": tuple(chosen_kinds)}


def passages_ui(retriever, hits, quote_span=None) -> None:
    st.markdown("#### Passages")
    docs = retriever.data.documents
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
            html(f'<div class="meta">{esc(why)} · {esc(c.doc_id)} [{c.start}:{c.end}] · '
                 f'<a href="{reading_link(c.doc_id, c.start, c.end)}" target="_self">read in context</a></div>'
                 f'<div>{highlight(c.text, spans, base=c.start)}</div>')


def ask_ui(retriever, finder) -> None:
    from qa.answer import ABSTAIN_TEXT, answer_question
    from qa.retrieve import SearchSettings

    settings = search_controls_ui(retriever)
    with st.form("ask"):
        question = st.text_input("Question", placeholder="What value did one NGO estimate for the global space economy in 2021?")
        asked = st.form_submit_button("Ask")
    if not asked:
        return
    try:
        ans = answer_question(retriever, finder, question, SearchSettings(**settings))
    except QAError as exc:
        st.error(md_escape(exc))
        return
    docs = retriever.data.documents
    if ans.abstained:
        html(f'<div class="refusal">{esc(ABSTAIN_TEXT)} <span class="meta">(confidence {ans.confidence:.2f})</span></div>')
        st.caption("The closest passages:")
        passages_ui(retriever, ans.passages)
        return
    a = ans.answer
    spans = [(a.start, a.end, "quote")] + ([(a.short_start, a.short_end, "short")] if a.short else [])
    marks = " ".join(f"[{c.n}]" for c in ans.citations)
    html(f'<div class="answer">“{highlight(a.text, spans, base=a.start)}” {esc(marks)}</div>')
    if a.short:
        html(f'<div>Short answer: <b>{esc(a.short)}</b> <span class="meta">· confidence {ans.confidence:.2f}</span></div>')
    st.markdown("#### Citations")
    for c in ans.citations:
        where = f"p. {c.page}" if c.page is not None else (f"section “{c.section}”" if c.section else "")
        doc = docs[c.doc_id]
        source = safe_url(c.url) or safe_url(doc.url)
        links = f'<a href="{reading_link(c.doc_id, c.start, c.end)}" target="_self">open in the document</a>'
        if source:
            links += f' · <a href="{esc(source)}" target="_blank" rel="noopener">source</a>'
        html(f'<div class="cite"><b>[{c.n}]</b> {esc(c.title)} — {esc(c.publisher or "publisher unknown")}'
             f'{", " + esc(c.date) if c.date else ""}{", " + esc(where) if where else ""}'
             f' <span class="meta">[{c.start}:{c.end}]</span><br>{links}</div>')
        st.caption(f"Reference [{c.n}] — copy it with the button on the right:")
        st.code(c.reference, language="text", wrap_lines=True)
    passages_ui(retriever, ans.passages, (a.doc_id, a.start, a.end))


def quote_ui(finder) -> None:
    with st.form("cite"):
        quote = st.text_area("Quote or claim", height=100,
                             placeholder="Paste a quote from the press to check it against the sources")
        go = st.form_submit_button("Find")
    if not go:
        return
    try:
        matches = finder.find(quote)
    except QAError as exc:
        st.error(md_escape(exc))
        return
    if not matches:
        st.info("The quote was not found in any document, exactly or nearly.")
        return
    st.write(f"{len(matches)} place(s) found.")
    for m in matches:
        where = f"p. {m.page}" if m.page is not None else (m.section or "")
        kind = "exact" if m.exact else f"near · similarity {m.similarity:.2f}"
        left, right = diff_words(" ".join(quote.split()), m.text) if not m.exact else (esc(quote), esc(m.text))
        html(f'<div class="cite"><b>{esc(m.title)}</b> <span class="meta">{esc(m.doc_id)} · {esc(where)} · '
             f'[{m.start}:{m.end}] · {esc(kind)} · <a href="{reading_link(m.doc_id, m.start, m.end)}" '
             f'target="_self">open in the document</a></span></div>')
        col1, col2 = st.columns(2)
        with col1:
            html(f"<div class='meta'>Your quote</div><div>{left}</div>")
        with col2:
            html(f"<div class='meta'>Source</div><div>…{esc(m.context_before[-80:])}<mark class='quote'>{right}</mark>"
                 f"{esc(m.context_after[:80])}…</div>")


def documents_ui(retriever) -> None:
    data = retriever.data
    counts = {d["doc_id"]: d for d in data.manifest.get("corpus", {}).get("documents", [])}
    rows = [{"id": d.doc_id, "title": d.title, "publisher": d.publisher, "date": d.date, "kind": d.kind,
             "pages": d.page_count or None, "chunks": counts.get(d.doc_id, {}).get("chunks")}
            for d in data.documents.values()]
    st.dataframe(rows, hide_index=True, use_container_width=True)
    params = st.query_params
    ids = list(data.documents)
    wanted = params.get("doc")
    doc_id = st.selectbox("Read", ids, index=ids.index(wanted) if wanted in ids else 0)
    doc = data.documents[doc_id]
    try:
        start, end = int(params.get("start", -1)), int(params.get("end", -1))
    except ValueError:
        start = end = -1
    spans = [(start, end, "cited")] if doc_id == wanted and 0 <= start < end <= len(doc.text) else []
    meta = " · ".join(x for x in (doc.publisher, doc.date, doc.kind, doc.author) if x)
    html(f"<h3>{esc(doc.title)}</h3><div class='meta'>{esc(meta)}</div>")
    if spans:
        where = doc.page_at(start)
        st.caption(f"Cited passage [{start}:{end}]" + (f", page {where}" if where else ""))
    html(f'<div class="reader">{highlight(doc.text, spans)}</div>')
    if spans:
        import streamlit.components.v1 as components

        components.html("<script>const m = window.parent.document.getElementById('cited');"
                        "if (m) { m.scrollIntoView({block: 'center'}); }</script>", height=0)


def evaluate_ui(retriever) -> None:
    from qa.evaluate import load_gold, evaluate_gold

    gold = Path(os.environ.get("QA_GOLD", "eval/questions.jsonl"))
    split = st.radio("Questions", ("report", "tune", "all"), horizontal=True,
                     help="report: the held-out split the README figures come from; tune: used to choose settings")
    if st.button("Run evaluation"):
        try:
            questions = [q for q in load_gold(gold) if split == "all" or q.split == split]
            with st.spinner(f"Evaluating {len(questions)} questions in three modes…"):
                st.session_state["eval"] = (split, evaluate_gold(retriever, questions))
        except QAError as exc:
            st.error(md_escape(exc))
            return
    if "eval" not in st.session_state:
        st.caption(f"Gold set: {md_escape(gold)}")
        return
    split, result = st.session_state["eval"]
    s = result.summary
    st.markdown(f"**{s['questions']} questions ({split} split, {s['answerable']} answerable)**")
    st.dataframe([{"mode": m, **{k: round(v, 3) for k, v in vals.items()}} for m, vals in s["modes"].items()],
                 hide_index=True)
    a, lat = s["answers"], s["latency_ms"]
    st.dataframe([{**{k: round(v, 3) for k, v in a.items()}, "mean ms": round(lat["mean"]),
                   "p95 ms": round(lat["p95"])}], hide_index=True)
    st.markdown("Recall@k")
    st.line_chart({mode: {str(k): v for k, v in curve.items()} for mode, curve in result.curves.items()})
    rows = [{"id": r.id, "outcome": ("right abstention" if r.abstained and not r.answerable else
                                     "MISS: abstained" if r.abstained else
                                     "WRONG: answered" if not r.answerable else "hit" if r.hit else "MISS"),
             **{f"{m} first relevant": r.first_relevant.get(m) for m in s["modes"]}, "answer": r.answer}
            for r in result.rows]
    only_misses = st.checkbox("Show misses only")
    shown = [r for r in rows if not only_misses or r["outcome"] not in ("hit", "right abstention")]

    def colour(row):
        bad = row["outcome"] not in ("hit", "right abstention")
        return ["background-color: #ffe0e0" if bad else ""] * len(row)

    import pandas as pd

    frame = pd.DataFrame(shown)
    st.dataframe(frame.style.apply(colour, axis=1) if len(frame) else frame, hide_index=True, use_container_width=True)


def upload_ui() -> None:
    from qa.ingest import IndexSettings, ingest
    from qa.loaders import load_file

    files = st.file_uploader("PDF, TXT, Markdown or HTML", type=list(UPLOAD_TYPES), accept_multiple_files=True)
    if not files or not st.button("Add to the corpus"):
        return
    corpus = corpus_dir()
    saved = []
    for f in files:
        data = f.getvalue()
        problem = check_upload(f.name, data)
        if not problem:
            name = safe_upload_name(f.name, {p.name for p in corpus.iterdir()})
            with tempfile.TemporaryDirectory() as tmp:
                trial = Path(tmp) / name
                trial.write_bytes(data)
                try:
                    load_file(trial)
                except QAError as exc:
                    problem = f"{f.name}: {getattr(exc, 'problem', exc)}" + (f" ({exc.hint})" if getattr(exc, "hint", "") else "")
        if problem:
            st.error(md_escape(problem))
            continue
        target = corpus / name
        target.write_bytes(data)
        saved.append((f.name, target.name))
    if not saved:
        return
    bar = st.progress(0.0, text="Updating the index…")
    done = {"n": 0}

    def progress(stage: str, n: int, total: int) -> None:
        done["n"] += n
        bar.progress(min(done["n"] / max(total, 1), 1.0), text=f"{stage}: {done['n']}/{total} passages")

    try:
        encoder = load_encoder()
        report = ingest(corpus, index_dir(), encoder, IndexSettings(model=encoder.name), progress=progress)
    except QAError as exc:
        st.error(f"The index could not be updated: {md_escape(exc)}")
        return
    bar.progress(1.0, text="Index updated")
    for original, name in saved:
        st.success(md_escape(f"Added {original} as corpus/{name}"))
    st.info(f"Index: {report.documents} documents, {report.chunks} passages "
            f"({report.encoded_chunks} embedded now, {report.reused_chunks} reused).")


def main() -> None:
    st.set_page_config(page_title="Space policy sources", page_icon="🛰️", layout="wide")
    html(CSS)
    st.sidebar.title("Space policy sources")
    asked = st.query_params.get("page")
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(asked) if asked in PAGES else 0)
    retriever, finder = open_index()
    st.header(page)
    if page == "Ask":
        ask_ui(retriever, finder)
    elif page == "Find a quote":
        quote_ui(finder)
    elif page == "Documents":
        documents_ui(retriever)
    elif page == "Evaluate":
        evaluate_ui(retriever)
    else:
        upload_ui()


if __name__ == "__main__":
    main()
