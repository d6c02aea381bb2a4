"""The Add-documents page section: checked uploads, then the index updated step by step."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.web.session import backend, corpus_dir, index_dir, load_encoder
from qa.web.view import UPLOAD_TYPES, check_upload, md_escape, safe_upload_name


def save_uploads(files) -> list[tuple[str, str]]:
    """Checks each upload (type by content, size, parses) and saves the good ones into the corpus;
    shows why each bad one was refused. Returns (uploaded name, saved name) pairs."""
    from qa.ingestion.loaders import load_file

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
        (corpus / name).write_bytes(data)
        saved.append((f.name, name))
    return saved


def update_index(status):
    """Rebuilds the index, one visible step at a time: model, reading, chunking, encoding n/N, writing."""
    from qa.ingestion.loaders import load_corpus
    from qa.retrieval.build import IndexSettings, build_index, corpus_fingerprint

    def step(text: str) -> None:             # shown at once, and kept as a line of the log below
        status.update(label=text)
        st.write(text)

    step("Loading the embedding model…")
    encoder = load_encoder()
    corpus, settings = corpus_dir(), IndexSettings(model=encoder.name)
    step("Reading the documents…")
    documents, errors = load_corpus(corpus)
    st.write(f"Read {len(documents)} documents ({len(errors)} files left out).")
    step(f"Chunking {len(documents)} documents…")
    bar = st.progress(0.0, text="Chunking…")
    done = {"n": 0}

    def progress(stage: str, n: int, total: int) -> None:
        done["n"] += n
        bar.progress(min(done["n"] / max(total, 1), 1.0), text=f"{stage}: {done['n']}/{total} passages")
        status.update(label=f"Encoding {done['n']}/{total} passages…" if stage == "embedding" else f"{stage}…")

    fingerprint = corpus_fingerprint(corpus, settings, encoder.name)
    choice = backend()
    if choice.name == "milvus":
        from qa.retrieval.milvus_ingest import build_milvus

        report = build_milvus(documents, index_dir(), encoder, settings, fingerprint, choice.milvus,
                              tuple(errors), progress)
    else:
        report = build_index(documents, index_dir(), encoder, settings, fingerprint, tuple(errors), progress)
    st.write(f"Encoded {report.encoded_chunks} passages, reused {report.reused_chunks}; index written.")
    return report


def upload_ui() -> None:
    files = st.file_uploader("PDF, TXT, Markdown or HTML", type=list(UPLOAD_TYPES), accept_multiple_files=True)
    if not files or not st.button("Add to the corpus"):
        return
    saved = save_uploads(files)
    if not saved:
        return
    with st.status("Updating the index…", expanded=True) as status:
        try:
            report = update_index(status)
        except QAError as exc:
            status.update(label="The index could not be updated", state="error")
            st.error(f"The index could not be updated: {md_escape(exc)}")
            return
        status.update(label="Index updated", state="complete", expanded=True)
    for original, name in saved:
        st.success(md_escape(f"Added {original} as corpus/{name}"))
    st.info(f"Index: {report.documents} documents, {report.chunks} passages "
            f"({report.encoded_chunks} embedded now, {report.reused_chunks} reused).")
