"""Which back end serves an index: the embedded one (default) or Milvus, and opening it.

Chosen by ``--backend milvus --milvus-uri URI`` or ``QA_BACKEND`` / ``QA_MILVUS_URI`` (plus
``QA_MILVUS_COLLECTION``, ``QA_MILVUS_ANALYZER`` and ``QA_MILVUS_TOKEN`` for a server that wants
one). Without a URI, Milvus Lite keeps its data in ``<index>/milvus.db``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qa.retrieval.milvus_schema import MilvusTarget

BACKENDS = ("embedded", "milvus")


@dataclass(frozen=True)
class BackendChoice:
    """``name`` is embedded or milvus; ``milvus`` is set for milvus only."""

    name: str = "embedded"
    milvus: MilvusTarget | None = None

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.name!r}")
        if (self.name == "milvus") != (self.milvus is not None):
            raise ValueError("a Milvus target goes with the milvus back end only")


def choose_backend(index_dir: str | Path, backend: str | None = None, uri: str | None = None,
                   collection: str | None = None, analyzer: str | None = None) -> BackendChoice:
    """The back end from the arguments given, else the environment, else the embedded one."""
    name = (backend or os.environ.get("QA_BACKEND", "") or "embedded").strip().lower()
    if name != "milvus":
        return BackendChoice(name)
    env = os.environ.get
    return BackendChoice("milvus", MilvusTarget(
        uri=uri or env("QA_MILVUS_URI", "") or str(Path(index_dir) / "milvus.db"),
        collection=collection or env("QA_MILVUS_COLLECTION", "") or "qa_passages",
        analyzer=analyzer or env("QA_MILVUS_ANALYZER", "") or "qa",
        token=env("QA_MILVUS_TOKEN", "")))


def open_retriever(index_dir: str | Path, choice: BackendChoice = BackendChoice(), encoder=None):
    """A Retriever (embedded) or MilvusRetriever over the index at ``index_dir``; raises
    IndexStateError with the fix when it is missing or stale."""
    if choice.name == "milvus":
        from qa.retrieval.milvus_backend import MilvusRetriever

        return MilvusRetriever(Path(index_dir), choice.milvus, encoder=encoder)
    from qa.retrieval.retriever import Retriever
    from qa.retrieval.store import load_index

    return Retriever(load_index(Path(index_dir)), encoder=encoder)


def index_generation(index_dir: str | Path, choice: BackendChoice = BackendChoice()) -> str:
    """The current generation of the index (a cache key that changes on every ingest)."""
    if choice.name == "milvus":
        from qa.retrieval.milvus_record import read_record_manifest

        return "milvus:" + str(read_record_manifest(Path(index_dir))["generation"])
    from qa.retrieval.store import read_manifest

    return str(read_manifest(Path(index_dir))["generation"])
