"""Session fixtures over the real corpus with the real embedding model (used by slow tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def encoder():
    from qa.retrieval.encoder import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def real_index(tmp_path_factory, encoder):
    """(Retriever, QuoteFinder) over an index of corpus/ built once per test session."""
    from qa.answers.quotes import QuoteFinder
    from qa.retrieval.build import IndexSettings, ingest
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import load_index

    index = tmp_path_factory.mktemp("real-index")
    ingest(CORPUS, index, encoder, IndexSettings(model=encoder.name))
    retriever = Retriever(load_index(index), encoder)
    return retriever, QuoteFinder(retriever)
