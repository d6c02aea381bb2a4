"""A BEIR-format dataset -> a cached index of its corpus -> per-mode runs and trec_eval metrics."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from qa.answers.rerank import attach_reranker
from qa.evaluation.beir import BeirDoc, corpus_size, load_beir, read_corpus
from qa.evaluation.metrics import evaluate_run
from qa.evaluation.runs import retrieval_run
from qa.evaluation.trec import write_trec_run
from qa.retrieval.backend import BackendChoice
from qa.retrieval.build import IndexSettings, IngestReport, build_index
from qa.retrieval.retriever import MODES, Retriever, SearchSettings
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


def beir_documents(entries: Iterable[tuple[str, BeirDoc]]) -> Iterator[Document]:
    """One Document per corpus entry (``(id, BeirDoc)``, as ``read_corpus`` yields them or
    ``BeirDataset.corpus.items()`` holds them): its title, a blank line, its text (the title alone if
    no text); an entry with neither is skipped. Made one at a time, as the entries come."""
    for doc_id, d in entries:
        text = "\n\n".join(p for p in (d.title.strip(), d.text.strip()) if p)
        if text:
            yield Document(doc_id=doc_id, text=text, title=d.title.strip() or doc_id, path=doc_id,
                           kind="other", source_format="beir")


def beir_fingerprint(folder: Path, settings: IndexSettings, model: str) -> str:
    h = hashlib.sha256(json.dumps([model, settings.describe()], sort_keys=True).encode())
    with open(folder / "corpus.jsonl", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def beir_settings(encoder, title_weight: int | None = None) -> IndexSettings:
    """The index settings of a BEIR corpus: one passage per document; ``title_weight`` None keeps
    ``IndexSettings``' default."""
    if title_weight is None:
        return IndexSettings(model=encoder.name, whole_documents=True)
    return IndexSettings(model=encoder.name, whole_documents=True, title_weight=title_weight)


def build_beir_index(folder: Path, index_dir: Path, encoder, title_weight: int | None = None,
                     progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Index the corpus of the BEIR folder into ``index_dir`` (always; ``beir_index`` reuses a fresh
    one), reading ``corpus.jsonl`` one line at a time; ``progress`` also gets the documents read."""
    settings = beir_settings(encoder, title_weight)
    fingerprint = beir_fingerprint(folder, settings, encoder.name)
    entries = read_corpus(folder)
    if progress:
        entries = _counted(entries, "reading documents", corpus_size(folder), progress)
    return build_index(beir_documents(entries), index_dir, encoder, settings, fingerprint, progress=progress)


def _counted(items: Iterable, stage: str, total: int, progress, every: int = 1000) -> Iterator:
    """``items`` as they are, telling ``progress(stage, n, total)`` every ``every`` of them."""
    n = 0
    for n, item in enumerate(items, start=1):
        yield item
        if progress and n % every == 0:
            progress(stage, every, total)
    if progress and n % every:
        progress(stage, n % every, total)


def beir_index(folder: Path, index_dir: Path, encoder,
               progress: Callable[[str, int, int], None] | None = None,
               backend: BackendChoice = BackendChoice(), title_weight: int | None = None) -> Retriever:
    """A Retriever over the corpus of the BEIR folder, built into ``index_dir`` unless a matching one
    is there (another ``title_weight``, default ``IndexSettings``', rebuilds BM25 and keeps the vectors).

    On the Milvus back end the collection takes its vectors from the embedded index in
    ``index_dir`` when there is one (the same passages, model and settings)."""
    settings = beir_settings(encoder, title_weight)
    fingerprint = beir_fingerprint(folder, settings, encoder.name)
    if backend.name == "milvus":
        return _beir_milvus(folder, index_dir, encoder, settings, fingerprint, backend, progress)
    try:
        fresh = read_manifest(index_dir).get("corpus", {}).get("fingerprint") == fingerprint
    except IndexStateError:
        fresh = False
    if not fresh:
        build_beir_index(folder, index_dir, encoder, title_weight, progress)
    return attach_reranker(Retriever(load_index(index_dir), encoder))


def _beir_milvus(folder, index_dir, encoder, settings, fingerprint, backend, progress):
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
        build_milvus(list(beir_documents(read_corpus(folder))), index_dir, encoder, settings, fingerprint,
                     backend.milvus, progress=progress)
    return attach_reranker(MilvusRetriever(index_dir, backend.milvus, encoder))


def run_beir(
    folder: Path,
    split: str,
    index_dir: Path,
    encoder,
    modes: tuple[str, ...] = MODES,
    base: SearchSettings = SearchSettings(),
    run_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    backend: BackendChoice = BackendChoice(),
    title_weight: int | None = None,
) -> BeirResult:
    """Evaluate each mode on the split; writes ``<run_dir>/<mode>.trec`` when ``run_dir`` is given.
    ``title_weight``: the index's title field (``IndexSettings.title_weight``; None: the default)."""
    data = load_beir(folder, split, with_corpus=False)  # the index reads the corpus itself, line by line
    retriever = beir_index(folder, index_dir, encoder, progress, backend, title_weight)
    qids = sorted(data.queries)
    vectors = encoder.encode_queries([data.queries[q] for q in qids])
    out, runs = {}, {}
    for mode in modes:
        settings = SearchSettings(**{**base.__dict__, "mode": mode, "k": 100, "depth": max(base.depth, 100)})
        # scores by rank, as every run of the tool (qa.evaluation.runs): mode "rerank" reorders
        # its hits but keeps their hybrid scores, so sorting by h.score would undo the reranking
        tick = (lambda m=mode: progress(f"queries ({m})", 1, len(qids))) if progress else None
        run = retrieval_run(retriever, data.queries, settings, key="doc", vectors=vectors, on_query=tick)
        runs[mode] = run
        out[mode] = evaluate_run(run, data.qrels, BEIR_METRICS)
        if run_dir is not None:
            run_dir.mkdir(parents=True, exist_ok=True)
            write_trec_run(run_dir / f"{mode}.trec", run, tag=f"qa-{mode}")
    return BeirResult(dataset=folder.name, split=split, queries=len(qids), modes=out, runs=runs)
