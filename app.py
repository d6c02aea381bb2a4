"""The web page: ask, find a quote, read documents, evaluate, add documents (sections in qa/web/).

The page draws at once: once it is drawn, the index opens and the model loads in a background
thread (qa/web/loading.py) while the question box is already there.
"""

from __future__ import annotations

import streamlit as st

from qa.web.ask import ask_ui, quote_ui
from qa.web.evaluate import evaluate_ui
from qa.web.library import documents_ui
from qa.web.loading import start_loading
from qa.web.session import CSS, html, nav_ui
from qa.web.upload import upload_ui


def main() -> None:
    st.set_page_config(page_title="Space policy sources", page_icon="🛰️", layout="wide")
    html(CSS)
    st.sidebar.title("Space policy sources")
    page = nav_ui()
    loader = start_loading()
    st.header(page)
    if page == "Ask":
        ask_ui(loader)
    elif page == "Find a quote":
        quote_ui(loader)
    elif page == "Documents":
        documents_ui(loader)
    elif page == "Evaluate":
        evaluate_ui(loader)
    else:
        upload_ui()
    loader.start()   # after the page is drawn, so the first page does not wait on the loading thread


if __name__ == "__main__":
    main()
