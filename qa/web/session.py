"""What every page section shares: the cached encoder and index, paths, and escaped HTML output."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.web.view import md_escape

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
    from qa.retrieval.encoder import Encoder

    return Encoder()


def backend():
    """The back end QA_BACKEND / QA_MILVUS_URI name (embedded by default)."""
    from qa.retrieval.backend import choose_backend

    return choose_backend(index_dir())


@st.cache_resource(show_spinner="Loading the index…")
def load_index(index: str, generation: str, _backend=None):
    """One ``qa.Index`` per index generation; a rebuilt index is a new cache key."""
    from qa.api import Index

    return Index.open(Path(index), encoder=load_encoder(), backend=_backend)


def html(markup: str) -> None:
    """Render HTML built by qa.web.view (every document or user string in it is escaped)."""
    st.markdown(markup, unsafe_allow_html=True)


def open_index():
    """The current index, or an error with the fix (and the page stops)."""
    from qa.retrieval.backend import index_generation

    try:
        choice = backend()
        return load_index(str(index_dir()), index_generation(index_dir(), choice), choice)
    except QAError as exc:
        st.error(f"{md_escape(exc)}. Run `make run` (or `qa ingest`) to build the index.")
        st.stop()
