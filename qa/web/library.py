"""The Documents and Add-documents page sections: the library, the reading view, uploads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.web.session import backend, corpus_dir, html, index_dir, load_encoder
from qa.web.view import (
    UPLOAD_TYPES,
    check_upload,
    esc,
    highlight,
    md_escape,
    safe_upload_name,
)


def documents_ui(index) -> None:
    data = index
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


def upload_ui() -> None:
    from qa.ingestion.loaders import load_file
    from qa.retrieval.build import IndexSettings, ingest

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
        choice = backend()
        if choice.name == "milvus":
            from qa.retrieval.milvus_ingest import ingest_milvus

            report = ingest_milvus(corpus, index_dir(), encoder, choice.milvus, IndexSettings(model=encoder.name),
                                   progress=progress)
        else:
            report = ingest(corpus, index_dir(), encoder, IndexSettings(model=encoder.name), progress=progress)
    except QAError as exc:
        st.error(f"The index could not be updated: {md_escape(exc)}")
        return
    bar.progress(1.0, text="Index updated")
    for original, name in saved:
        st.success(md_escape(f"Added {original} as corpus/{name}"))
    st.info(f"Index: {report.documents} documents, {report.chunks} passages "
            f"({report.encoded_chunks} embedded now, {report.reused_chunks} reused).")
