"""A BEIR-format dataset -> a cached index of its corpus -> per-mode runs and trec_eval metrics."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from qa.evaluation.beir import BeirDataset, load_beir
from qa.evaluation.metrics import evaluate_run
from qa.evaluation.trec import write_trec_run
from qa.retrieval.backend import BackendChoice
from qa.retrieval.build import IndexSettings, build_index
from qa.retrieval.retriever import Retriever, SearchSettings
from qa.retrieval.store import load_index, read_manifest
from qa.types import Document, IndexStateError

BEIR_METRICS = ("ndcg@10", "recall@100", "mrr@10")


@dataclass(frozen=True)
class BeirResult:
    """Metrics per mode (``{"bm25": {"ndcg@10": ...}}``) and the runs behind them."""

    dataset: str
    split: str
    queries: int
    modes: dict
    runs: dict


def beir_documents(data: BeirDataset) -> list[Document]:
    """One Document per corpus entry: its title, a blank line, its text (the title alone if no text)."""
    docs = []
    for doc_id, d in data.corpus.items():
        text = "\n\n".join(p for p in (d.title.strip(), d.text.strip()) if p)
        if text:
            docs.append(Document(doc_id=doc_id, text=text, title=d.title.strip() or doc_id, path=doc_id,
                                 kind="other", source_format="beir"))
    return docs


def beir_fingerprint(folder: Path, settings: IndexSettings, model: str) -> str:
    h = hashlib.sha256(json.dumps([model, settings.describe()], sort_keys=True).encode())
    with open(folder / "corpus.jsonl", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def beir_index(folder: Path, index_dir: Path, encoder, data: BeirDataset,
               progress: Callable[[str, int, int], None] | None = None,
               backend: BackendChoice = BackendChoice(), title_weight: int | None = None) -> Retriever:
    """A Retriever over the dataset's corpus, built into ``index_dir`` unless a matching one is there
    (another ``title_weight``, default ``IndexSettings``', rebuilds BM25 and keeps the vectors).

    On the Milvus back end the collection takes its vectors from the embedded index in
    ``index_dir`` when there is one (the same passages, model and settings)."""
    settings = IndexSettings(model=encoder.name, whole_documents=True)
    if title_weight is not None:
        settings = IndexSettings(model=encoder.name, whole_documents=True, title_weight=title_weight)
    fingerprint = beir_fingerprint(folder, settings, encoder.name)
    if backend.name == "milvus":
        return _beir_milvus(index_dir, encoder, data, settings, fingerprint, backend, progress)
    try:
        fresh = read_manifest(index_dir).get("corpus", {}).get("fingerprint") == fingerprint
    except IndexStateError:
        fresh = False
    if not fresh:
        build_index(beir_documents(data), index_dir, encoder, settings, fingerprint, progress=progress)
    return Retriever(load_index(index_dir), encoder)


def _beir_milvus(index_dir, encoder, data, settings, fingerprint, backend, progress):
    from qa.retrieval.milvus_backend import MilvusRetriever
    from qa.retrieval.milvus_ingest import build_milvus
    from qa.retrieval.milvus_record import read_record_manifest

    try:
        manifest = read_record_manifest(index_dir)
        fresh = (manifest.get("corpus", {}).get("fingerprint") == fingerprint
                 and manifest.get("milvus") == backend.milvus.describe())
    except IndexStateError:
        fresh = False
    if not fresh:
        build_milvus(beir_documents(data), index_dir, encoder, settings, fingerprint, backend.milvus, progress=progress)
    return MilvusRetriever(index_dir, backend.milvus, encoder)


def run_beir(
    folder: Path,
    split: str,
    index_dir: Path,
    encoder,
    modes: tuple[str, ...] = ("bm25", "dense", "hybrid"),
    base: SearchSettings = SearchSettings(),
    run_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    backend: BackendChoice = BackendChoice(),
    title_weight: int | None = None,
) -> BeirResult:
    """Evaluate each mode on the split; writes ``<run_dir>/<mode>.trec`` when ``run_dir`` is given.
    ``title_weight``: the index's title field (``IndexSettings.title_weight``; None: the default)."""
    data = load_beir(folder, split)
    retriever = beir_index(folder, index_dir, encoder, data, progress, backend, title_weight)
    qids = sorted(data.queries)
    vectors = encoder.encode_queries([data.queries[q] for q in qids])
    out, runs = {}, {}
    for mode in modes:
        settings = SearchSettings(**{**base.__dict__, "mode": mode, "k": 100, "depth": max(base.depth, 100)})
        run = {}
        for qid, vec in zip(qids, vectors):
            hits = retriever.search(data.queries[qid], settings, query_vector=vec)
            run[qid] = {h.chunk.doc_id: float(h.score) for h in hits}
            if progress:
                progress(f"queries ({mode})", 1, len(qids))
        runs[mode] = run
        out[mode] = evaluate_run(run, data.qrels, BEIR_METRICS)
        if run_dir is not None:
            run_dir.mkdir(parents=True, exist_ok=True)
            write_trec_run(run_dir / f"{mode}.trec", run, tag=f"qa-{mode}")
    return BeirResult(dataset=folder.name, split=split, queries=len(qids), modes=out, runs=runs)
