"""What every page section shares: paths, the cached encoder for uploads, navigation, escaped HTML output."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

CSS = """<style>
mark.quote {background:#fff3b0; padding:0 2px;} mark.short {background:#ffc94d; font-weight:600;}
mark.cited {background:#fff3b0; outline:2px solid #e0a800;}
.answer {font-size:1.15rem; border-left:4px solid #e0a800; padding:.4rem .9rem; margin:.4rem 0 .8rem;}
.refusal {font-size:1.1rem; border-left:4px solid #999; padding:.4rem .9rem;}
.cite {margin:.2rem 0 .6rem;} .meta {color:#666; font-size:.85rem;}
.reader {white-space:pre-wrap; font-family:Georgia,serif; line-height:1.55; max-width:52rem;}
.page-no {display:inline-block; color:#666; font:.8rem sans-serif; border-top:1px solid #ccc;
 width:100%; margin:.3rem 0; padding-top:.2rem;}
table.library {width:100%; border-collapse:collapse; font-size:.9rem;}
table.library th, table.library td {text-align:left; vertical-align:top; padding:.25rem .5rem; border-bottom:1px solid #eee;}
table.library td.n, table.library th.n {text-align:right; white-space:nowrap;}
del {background:#ffd6d6;} ins {background:#d6f5d6; text-decoration:none;}
</style>"""


def corpus_dir() -> Path:
    return Path(os.environ.get("QA_CORPUS", "corpus"))


def index_dir() -> Path:
    return Path(os.environ.get("QA_INDEX", "index"))


@st.cache_resource(show_spinner="Loading the embedding model…")
def load_encoder():
    from qa.retrieval.encoder import Encoder

    return Encoder()


def backend():
    """The back end QA_BACKEND / QA_MILVUS_URI name (embedded by default)."""
    from qa.retrieval.backend import choose_backend

    return choose_backend(index_dir())


def html(markup: str) -> None:
    """Render HTML built by qa.web.view (every document or user string in it is escaped, newlines
    included, so the markup is one HTML block that Markdown never reads)."""
    st.markdown(markup, unsafe_allow_html=True)


PAGES = ("Ask", "Find a quote", "Documents", "Evaluate", "Add documents")


def go_to(page: str, reading: tuple[str, int, int] | None = None) -> None:
    """Switch to ``page`` on the next run (and open ``reading`` = (doc_id, start, end) there);
    the question, answer and every other page's results stay in the session."""
    st.session_state["goto"] = page
    st.session_state.pop("passage", None)
    if reading is not None:
        st.session_state["reading"] = reading
        st.session_state["read_doc"] = reading[0]


def nav_ui() -> str:
    """The sidebar's page choice; the first run of a session follows a deep link
    (``?page=Documents&doc=ID&start=N&end=M``), later runs the sidebar and ``go_to``."""
    state = st.session_state
    if "nav" not in state:
        params = st.query_params
        state["nav"] = params.get("page") if params.get("page") in PAGES else PAGES[0]
        try:
            doc, start, end = params.get("doc"), int(params.get("start", -1)), int(params.get("end", -1))
        except ValueError:
            doc = None
        if doc:
            state["reading"], state["read_doc"] = (doc, start, end), doc
    if "goto" in state:
        state["nav"] = state.pop("goto")
    return st.sidebar.radio("Page", PAGES, key="nav")
