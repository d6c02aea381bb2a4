"""Opening the index and loading the model in a background thread, so the page shows at once.

The first script run starts a ``Warmup`` (one per index generation, shared by every session
through ``st.cache_resource``) and draws the page without waiting: the question box is there
while the model loads. Opening the index takes a fraction of a second; loading the embedding
model and the first answer take seconds, and only an answer waits for them.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import streamlit as st

from qa.types import QAError
from qa.web.session import backend, index_dir
from qa.web.view import md_escape

WARM_UP_QUESTION = "What does the framework say about space diplomacy?"


class Warmup:
    """Opens ``Index`` at ``path``, then answers one question to load the model, in a daemon thread.

    ``lock`` serialises answers: the encoder runs on every core already, and two sessions
    encoding at once on a small machine only slow each other down.
    """

    def __init__(self, path: Path, choice=None) -> None:
        self.path, self.choice = Path(path), choice
        self.index = None
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self._opened, self._warm = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="qa-warmup", daemon=True)
        self._started = threading.Lock()

    def start(self) -> "Warmup":
        """Start loading (once; later calls do nothing)."""
        if self._started.acquire(blocking=False):
            self._thread.start()
        return self

    def _run(self) -> None:
        from qa.api import Index

        try:
            self.index = Index.open(self.path, backend=self.choice)
            self._opened.set()
            # QA_WARMUP_DELAY (seconds) holds the model's loading back, so that a test can see the
            # page while it loads however fast the machine is; unset in use
            time.sleep(max(0.0, float(os.environ.get("QA_WARMUP_DELAY") or 0)))
            with self.lock:
                self.index.ask(WARM_UP_QUESTION)
            from qa.answers.short import load_places

            load_places()
        except BaseException as exc:  # handed to the page, which shows or raises it (see _result)
            self.error = exc
        finally:
            self._opened.set()
            self._warm.set()

    @property
    def opened(self) -> bool:
        """True once the index is open (or failed to open)."""
        return self._opened.is_set()

    @property
    def ready(self) -> bool:
        """True once the model is loaded and warm (or loading failed)."""
        return self._warm.is_set()

    def wait_index(self, timeout: float | None = None):
        """The opened Index; raises what opening raised, or TimeoutError."""
        self.start()
        if not self._opened.wait(timeout):
            raise TimeoutError("the index is still opening")
        return self._result()

    def wait_ready(self, timeout: float | None = None):
        """The Index once the model is warm; raises what loading raised, or TimeoutError."""
        self.start()
        if not self._warm.wait(timeout):
            raise TimeoutError("the embedding model is still loading")
        return self._result()

    def _result(self):
        if self.error is not None:
            raise self.error
        return self.index


@st.cache_resource(show_spinner=False)
def _warmup(index: str, generation: str, _choice=None) -> Warmup:
    return Warmup(Path(index), _choice)


def start_loading() -> Warmup:
    """The Warmup of the current index generation (one per generation: a rebuilt index gets a new
    one). It starts when the page has been drawn (``app.py`` calls ``start()`` last: the loading
    thread holds the interpreter for long stretches, and the first page should not wait on it) or
    when something waits for it. When there is no usable index, shows how to build one and stops
    the page."""
    from qa.retrieval.backend import index_generation

    try:
        choice = backend()
        return _warmup(str(index_dir()), index_generation(index_dir(), choice), choice)
    except QAError as exc:
        st.error(f"{md_escape(exc)}. Run `make run` (or `qa ingest`) to build the index.")
        st.stop()


def wait_index(loader: Warmup):
    """The opened index (waiting a moment for it when needed), or an error shown and the page stopped."""
    return _wait(loader.opened, loader.wait_index, "Opening the index…", 300)


def wait_ready(loader: Warmup):
    """The index with its model loaded, waiting under a note when it is still loading."""
    return _wait(loader.ready, loader.wait_ready, "Loading the model… (only the first answer waits for it)", 600)


def _wait(done: bool, wait, note: str, timeout: float):
    try:
        if done:
            return wait()
        with st.spinner(note):
            return wait(timeout=timeout)
    except QAError as exc:
        st.error(f"{md_escape(exc)}. Run `make run` (or `qa ingest`) to build the index.")
        st.stop()


@st.fragment(run_every=0.5)
def loading_note(loader: Warmup) -> None:
    """A "loading the model…" note in place of results, replaced by the page once it is ready."""
    if loader.ready:
        st.rerun(scope="app")
    st.info("Loading the model… you can type your question now; it is answered as soon as the model is ready.")
