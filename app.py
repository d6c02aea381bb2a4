"""The web page: ask, find a quote, read documents, evaluate, add documents (sections in qa/web/)."""

from __future__ import annotations

import streamlit as st

from qa.web.ask import ask_ui, quote_ui
from qa.web.evaluate import evaluate_ui
from qa.web.library import documents_ui, upload_ui
from qa.web.session import CSS, html, open_index

PAGES = ("Ask", "Find a quote", "Documents", "Evaluate", "Add documents")


def main() -> None:
    st.set_page_config(page_title="Space policy sources", page_icon="🛰️", layout="wide")
    html(CSS)
    st.sidebar.title("Space policy sources")
    asked = st.query_params.get("page")
    page = st.sidebar.radio("Page", PAGES, index=PAGES.index(asked) if asked in PAGES else 0)
    index = open_index()
    st.header(page)
    if page == "Ask":
        ask_ui(index)
    elif page == "Find a quote":
        quote_ui(index)
    elif page == "Documents":
        documents_ui(index)
    elif page == "Evaluate":
        evaluate_ui(index)
    else:
        upload_ui()


if __name__ == "__main__":
    main()
