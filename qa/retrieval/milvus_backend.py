"""The Milvus back end: the same methods as ``Retriever``, over a Milvus collection.

BM25 and dense search run in Milvus (two searches of ``depth`` candidates, filtered by document
and kind in Milvus); fusion runs here with ``fuse_hits``, exactly as the embedded back end fuses,
because (1) Milvus's ``WeightedRanker`` normalises each list with arctan, not the min-max over
the candidates that the tuned convex weight 0.4 assumes, and (2) a fused Milvus result carries
only the fused score, while every Hit shows its BM25 and dense ranks. ``native_rrf`` runs
Milvus's own ``RRFRanker`` in one ``hybrid_search``, for comparison (tests check that it ranks
as the client-side RRF does).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from qa.retrieval.dense import sentence_mixed
from qa.retrieval.encoder import check_query_model
from qa.retrieval.milvus_record import REBUILD, load_record
from qa.retrieval.milvus_schema import (
    CHUNK_FIELDS,
    HNSW_EF_SEARCH,
    MilvusTarget,
    encode_term,
    filter_expression,
    in_list,
    literal,
    terms_text,
    unpack_vectors,
)
from qa.retrieval.fusion import fuse_hits
from qa.retrieval.retriever import SearchSettings, clean_query, reranked_search
from qa.retrieval.terms import term_weights
from qa.retrieval.tokenize import tokenize
from qa.types import Chunk, Document, Hit, IndexStateError, QAError

VECTOR_CACHE = 4096  # passages whose vectors stay in memory (the answer step reads each twice)


def connect(target: MilvusTarget):
    """A MilvusClient for ``target``; raises QAError with the cause when it cannot connect."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        raise QAError("the Milvus back end needs pymilvus and milvus-lite (run `make install`)") from exc
    # Milvus Lite has no server timestamps; pymilvus warns about it on every query iterator.
    logging.getLogger("pymilvus").setLevel(logging.ERROR)
    try:
        if target.is_lite:
            Path(target.uri).parent.mkdir(parents=True, exist_ok=True)
        return MilvusClient(uri=target.uri, token=target.token)
    except Exception as exc:  # pymilvus raises MilvusException, grpc errors, OSError...
        raise QAError(f"could not connect to Milvus at {target.uri} ({exc})") from exc


def query_all(client, collection: str, where: str, fields: list[str]) -> list[dict]:
    """Every row of ``collection`` matching ``where``, read in batches."""
    it = client.query_iterator(collection, batch_size=1000, filter=where, output_fields=fields)
    rows: list[dict] = []
    try:
        while batch := it.next():
            rows.extend(batch)
    finally:
        it.close()
    return rows


def _hit_id(hit) -> str:
    return hit["chunk_id"] if "chunk_id" in hit else hit["id"]


def _hit_chunk(hit) -> Chunk:
    return chunk_from_row({**hit["entity"], "chunk_id": _hit_id(hit)})


def chunk_from_row(row: dict) -> Chunk:
    """A Chunk from a Milvus row (search entity or query result)."""
    return Chunk(chunk_id=row["chunk_id"], doc_id=row["doc_id"], start=int(row["start"]), end=int(row["end"]),
                 text=row["text"], pages=tuple(int(p) for p in row.get("pages") or ()),
                 section=row.get("section") or "", sentences=tuple(tuple(s) for s in row.get("sentences") or ()))


class MilvusRetriever:
    """An index whose passages live in Milvus and whose text of record lives in ``index_dir``."""

    def __init__(self, index_dir: Path, target: MilvusTarget, encoder=None, client=None) -> None:
        record = load_record(Path(index_dir))
        recorded = record.manifest.get("milvus", {})
        if recorded.get("collection") != target.collection or recorded.get("uri") != target.uri:
            raise IndexStateError(f"the Milvus index record at {index_dir} is for collection "
                                  f"{recorded.get('collection')!r} at {recorded.get('uri')!r}, not "
                                  f"{target.collection!r} at {target.uri!r}: {REBUILD}")
        self.target = MilvusTarget(target.uri, target.collection, recorded.get("analyzer", "qa"), target.token)
        self.record = record
        if encoder is not None:
            check_query_model(record.manifest, encoder)
        self.encoder = encoder
        self.last_timings: dict = {}
        self.reranker = None   # mode "rerank" (qa.retrieval.retriever.reranked_search)
        self.client = client or connect(target)
        self._dim = int(record.manifest["model"]["dim"])
        self._vectors: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._check_collection()

    def _check_collection(self) -> None:
        name, want = self.target.collection, self.record.manifest["counts"]["chunks"]
        if not self.client.has_collection(name):
            raise IndexStateError(f"Milvus at {self.target.uri} has no collection {name!r}: {REBUILD}")
        self.client.load_collection(name)
        have = int(self.client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])
        if have != want:
            raise IndexStateError(f"Milvus collection {name!r} holds {have} passages, the record {want}: {REBUILD}")

    # --- as Retriever ---------------------------------------------------------------------------

    @property
    def documents(self) -> dict[str, Document]:
        return self.record.documents

    @property
    def manifest(self) -> dict:
        return self.record.manifest

    def _encoder(self):
        if self.encoder is None:
            from qa.retrieval.encoder import Encoder

            encoder = Encoder(self.manifest.get("model", {}).get("name"))
            check_query_model(self.manifest, encoder)
            self.encoder = encoder
        return self.encoder

    def encode(self, query: str) -> np.ndarray:
        return self._encoder().encode_queries([query])[0]

    def encode_many(self, queries: list[str]) -> np.ndarray:
        return self._encoder().encode_queries(queries)

    def search(self, query: str, settings: SearchSettings = SearchSettings(),
               query_vector: np.ndarray | None = None) -> list[Hit]:
        """The ``settings.k`` best chunks for ``query``; raises QueryError for a bad query."""
        if settings.mode == "rerank":
            return reranked_search(self, query, settings, query_vector)
        query = clean_query(query)
        timings: dict[str, float] = {}
        where = filter_expression(settings.doc_ids, settings.kinds)
        lexical: list[tuple[Chunk, float]] = []
        semantic: list[tuple[Chunk, float]] = []
        if settings.mode in ("bm25", "hybrid"):
            t = time.perf_counter()
            lexical = self._lexical(query, settings.depth, where)
            timings["bm25"] = (time.perf_counter() - t) * 1000
        if settings.mode in ("dense", "hybrid"):
            t = time.perf_counter()
            vec = query_vector if query_vector is not None else self.encode(query)
            timings["encode"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            semantic = self._dense(vec, settings.depth, where)
            if settings.sentence_weight > 0 and semantic:
                semantic = self._with_sentences(semantic, vec, settings.sentence_weight)
            timings["dense"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        hits = fuse_hits(lexical, semantic, settings)
        timings["fuse"] = (time.perf_counter() - t) * 1000
        self.last_timings = timings
        return hits

    def _with_sentences(self, semantic: list[tuple[Chunk, float]], vector: np.ndarray,
                        sentence_weight: float) -> list[tuple[Chunk, float]]:
        """The dense candidates rescored with their best sentence, as the embedded back end does."""
        chunks = [c for c, _ in semantic]
        passage = self.passage_vectors(chunks) @ vector
        rescored = [(c, sentence_mixed(float(p), float((s @ vector).max()) if len(s) else None, sentence_weight))
                    for c, p, s in zip(chunks, passage, self.sentence_vectors(chunks))]
        return sorted(rescored, key=lambda item: -item[1])

    def bm25_query(self, query: str) -> str:
        """What Milvus's BM25 is given for ``query``: encoded terms, or the raw text (analyzer milvus)."""
        return terms_text(tokenize(query)) if self.target.analyzer == "qa" else query

    def _lexical(self, query: str, depth: int, where: str) -> list[tuple[Chunk, float]]:
        data = self.bm25_query(query)
        if not data.strip():
            return []
        found = self.client.search(self.target.collection, data=[data], anns_field="sparse", limit=depth,
                                   filter=where, output_fields=CHUNK_FIELDS, search_params={"metric_type": "BM25"})
        # A BM25 score is never negative; Milvus Lite reports it negated as a distance.
        return [(_hit_chunk(h), abs(float(h["distance"]))) for h in found[0]]

    def _dense(self, vector: np.ndarray, depth: int, where: str) -> list[tuple[Chunk, float]]:
        params = {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, depth)}}
        found = self.client.search(self.target.collection, data=[np.asarray(vector, dtype=np.float32).tolist()],
                                   anns_field="dense", limit=depth, filter=where, output_fields=CHUNK_FIELDS,
                                   search_params=params)
        return [(_hit_chunk(h), float(h["distance"])) for h in found[0]]

    def native_rrf(self, query: str, vector: np.ndarray, settings: SearchSettings) -> list[tuple[str, float]]:
        """(chunk_id, fused score) from Milvus's own ``RRFRanker`` over both searches, best first
        (the dense search ranks by passage cosine: ``sentence_weight`` does not apply)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        where = filter_expression(settings.doc_ids, settings.kinds)
        requests = [
            AnnSearchRequest(data=[self.bm25_query(clean_query(query))], anns_field="sparse",
                             param={"metric_type": "BM25"}, limit=settings.depth, expr=where or None),
            AnnSearchRequest(data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="dense",
                             param={"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, settings.depth)}},
                             limit=settings.depth, expr=where or None),
        ]
        found = self.client.hybrid_search(self.target.collection, requests, ranker=RRFRanker(int(settings.rrf_k)),
                                          limit=settings.k, output_fields=["chunk_id"])
        return [(_hit_id(h), float(h["distance"])) for h in found[0]]

    def _fetch_vectors(self, chunk_ids: list[str]) -> None:
        missing = [c for c in dict.fromkeys(chunk_ids) if c not in self._vectors]
        if missing:
            rows = self.client.get(self.target.collection, ids=missing, output_fields=["dense", "sentence_vectors"])
            for row in rows:
                vector = np.asarray(row["dense"], dtype=np.float32)
                self._vectors[row["chunk_id"]] = (vector, unpack_vectors(row["sentence_vectors"], self._dim, vector))
            absent = [c for c in missing if c not in self._vectors]
            if absent:
                raise IndexStateError(f"Milvus collection {self.target.collection!r} lacks passage {absent[0]}: {REBUILD}")
        for c in chunk_ids:
            self._vectors.move_to_end(c)
        while len(self._vectors) > VECTOR_CACHE:
            self._vectors.popitem(last=False)

    def passage_vectors(self, chunks: list[Chunk]) -> np.ndarray:
        """The unit passage vectors of ``chunks`` (one ``get`` for those not cached)."""
        self._fetch_vectors([c.chunk_id for c in chunks])
        return np.stack([self._vectors[c.chunk_id][0] for c in chunks]) if chunks else np.zeros((0, self._dim))

    def sentence_vectors(self, chunks: list[Chunk]) -> list[np.ndarray]:
        """For each chunk, its sentences' unit vectors (stored as float16 beside the passage)."""
        self._fetch_vectors([c.chunk_id for c in chunks])
        return [self._vectors[c.chunk_id][1] for c in chunks]

    def term_weights(self, terms) -> dict[str, float]:
        stats = self.record.terms
        return term_weights(terms, lambda t: stats.df.get(t, 0), stats.n, stats.min_df)

    def query_all(self, where: str, fields: list[str]) -> list[dict]:
        """Every row matching ``where`` (an iterator: no limit on how many)."""
        return query_all(self.client, self.target.collection, where, fields)

    def chunks_of(self, doc_ids) -> list[Chunk]:
        """Every chunk of the given documents, in document and offset order."""
        ids = list(dict.fromkeys(doc_ids))
        out = [chunk_from_row(r) for lo in range(0, len(ids), 100)
               for r in self.query_all(in_list("doc_id", ids[lo:lo + 100]), CHUNK_FIELDS)]
        order = {d: i for i, d in enumerate(ids)}
        return sorted(out, key=lambda c: (order[c.doc_id], c.start, c.end))

    def chunks_overlapping(self, places) -> list[Chunk]:
        """Chunks whose span overlaps one of ``places`` (``(doc_id, start, end)`` triples)."""
        places = list(places)
        return [c for c in self.chunks_of([d for d, _, _ in places])
                if any(d == c.doc_id and s < c.end and c.start < e for d, s, e in places)]

    def lexical_chunks(self, terms: list[str], k: int) -> list[Chunk]:
        """The ``k`` chunks Milvus's BM25 ranks highest for tokenized ``terms``."""
        data = terms_text(terms) if self.target.analyzer == "qa" else " ".join(terms)
        return [c for c, _ in self._lexical_raw(data, k)]

    def _lexical_raw(self, data: str, k: int) -> list[tuple[Chunk, float]]:
        if not data.strip():
            return []
        found = self.client.search(self.target.collection, data=[data], anns_field="sparse", limit=k,
                                   output_fields=CHUNK_FIELDS, search_params={"metric_type": "BM25"})
        return [(_hit_chunk(h), abs(float(h["distance"]))) for h in found[0]]

    def candidate_documents(self, terms: list[str]) -> list[str]:
        """Documents whose passages hold all of the (up to 8 rarest) ``terms``, found with Milvus's
        ``TEXT_MATCH`` one term at a time within the documents left: the same rule as the embedded
        postings. Every document when no term is known (or analyzer ``milvus``, whose terms differ)."""
        df = self.record.terms.df
        known = sorted({t for t in terms if df.get(t)}, key=lambda t: df[t])[:8]
        if not known or self.target.analyzer != "qa":
            return list(self.documents)
        docs: list[str] | None = None
        holding_all = None
        for term in known:
            match = f"TEXT_MATCH(terms, {literal(encode_term(term))})"
            where = match if docs is None else f"{in_list('doc_id', docs)} and {match}"
            rows = self.query_all(where, ["chunk_id", "doc_id"])
            ids = {r["chunk_id"] for r in rows}
            holding_all = ids if holding_all is None else holding_all & ids
            docs = sorted({r["doc_id"] for r in rows})
            if len(docs) <= 1:
                break
        first = sorted({d for r in rows for d in [r["doc_id"]] if r["chunk_id"] in holding_all})
        return first + [d for d in docs if d not in first]

