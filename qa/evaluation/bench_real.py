"""``qa bench --real``: the query path on REAL embeddings at scale, not synthetic mixes.

The passages come from real documents: the SciFact corpus (5,183 abstracts), the home corpus and
the PDFs of corpus-real. Chunked as ``qa ingest`` chunks them they give about 10,000 passages, so
the rest of the target count is made of finer real passages of the same documents, in this
order: every sentence (over 20 characters) that is not already a passage, then every pair of
adjacent sentences, until the target is reached (the output counts each kind). Nothing is
repeated and every vector is a real encoding of its passage.

Encoding 100,000 passages takes a long while on two cores, so vectors are cached under
``eval/cache/bench-real/<key>/`` in shards of ``SHARD`` passages written atomically: an interrupted
run resumes at the first missing shard. The key covers the model's files and the passage list.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from qa.ingestion.chunking import split_sentences
from qa.types import Chunk, Document, QAError

SHARD = 1000
KINDS = ("chunk", "sentence", "sentence pair")


def passage_kind(chunk: Chunk) -> str:
    """"chunk", "sentence" or "sentence pair" (from the ids: ``DOC:s1:A-B``, ``DOC:s2:A-B``; a
    chunk's is ``DOC:`` and a hex digest)."""
    rest = chunk.chunk_id[len(chunk.doc_id) + 1:]
    return {"s1:": "sentence", "s2:": "sentence pair"}.get(rest[:3], "chunk")


def real_documents(scifact: Path, folders: list[Path]) -> list[Document]:
    """SciFact's abstracts and every document of ``folders``, ids prefixed by their source."""
    from qa.ingestion.loaders import load_corpus

    corpus = scifact / "corpus.jsonl"
    if not corpus.is_file():
        raise QAError(f"{corpus} not found: give the SciFact folder with --scifact")
    docs = []
    for n, line in enumerate(corpus.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            text = "\n\n".join(p for p in (row.get("title", "").strip(), row.get("text", "").strip()) if p)
            if text:
                docs.append(Document(doc_id=f"scifact-{row['_id']}", text=text, title=row.get("title") or str(row["_id"]),
                                     path=f"{corpus}:{n}", kind="abstract", source_format="beir"))
    for folder in folders:
        loaded, _ = load_corpus(folder)
        docs.extend(replace(d, doc_id=f"{folder.name}-{d.doc_id}") for d in loaded)
    return docs


def real_passages(documents: list[Document], encoder, target: int) -> tuple[list[Chunk], dict[str, int]]:
    """Up to ``target`` passages: every chunk, then sentences, then adjacent sentence pairs (module
    docstring), and the count of each kind."""
    from qa.retrieval.build import IndexSettings, chunk_documents

    chunks = chunk_documents(documents, encoder, IndexSettings(model=encoder.name))[:target]
    counts = {"chunk": len(chunks), "sentence": 0, "sentence pair": 0}
    seen = {(c.doc_id, c.start, c.end) for c in chunks}
    sentences = {d.doc_id: [s for s in split_sentences(d.text) if s[1] - s[0] > 20] for d in documents}
    for kind, width in (("sentence", 1), ("sentence pair", 2)):
        for d in documents:
            spans = sentences[d.doc_id]
            for i in range(len(spans) - width + 1):
                if len(chunks) >= target:
                    return chunks, counts
                group = spans[i:i + width]
                start, end = group[0][0], group[-1][1]
                if (d.doc_id, start, end) in seen:
                    continue
                seen.add((d.doc_id, start, end))
                chunks.append(Chunk(chunk_id=f"{d.doc_id}:{kind[0]}{width}:{start}-{end}", doc_id=d.doc_id,
                                    start=start, end=end, text=d.text[start:end], sentences=tuple(group)))
                counts[kind] += 1
    return chunks, counts


def passages_key(chunks: list[Chunk], fingerprint: str | None) -> str:
    """A hash of the model's files and the passages (ids and texts): the cache folder's name."""
    h = hashlib.sha256((fingerprint or "").encode())
    for c in chunks:
        h.update(c.chunk_id.encode() + b"\0" + c.text.encode() + b"\0")
    return h.hexdigest()[:20]


def encode_cached(chunks: list[Chunk], encoder, folder: Path, budget_s: float | None = None,
                  progress: Callable[[int, int], None] | None = None) -> tuple[list, dict]:
    """Per shard of ``chunks``: (passage vectors, sentence vectors, sentence counts) read from
    ``folder``, or encoded (and saved) while ``budget_s`` seconds of encoding last (None: no limit);
    None for a shard left unencoded. Also the encoding stats."""
    folder.mkdir(parents=True, exist_ok=True)
    encoded, seconds, shards = 0, 0.0, []
    for lo in range(0, len(chunks), SHARD):
        part = chunks[lo:lo + SHARD]
        path = folder / f"shard-{lo // SHARD:05d}.npz"
        if not path.is_file() and (budget_s is None or seconds < budget_s):
            t = time.perf_counter()
            out = encoder.encode_passages([c.text for c in part],
                                          [[(a - c.start, b - c.start) for a, b in c.sentences] for c in part])
            seconds += time.perf_counter() - t
            encoded += len(part)
            counts = np.array([len(s) for s in out.sentences], dtype=np.int64)
            tmp = folder / f".{path.stem}.tmp.npz"
            np.savez(tmp, passages=out.passages, sentences=np.concatenate(out.sentences).astype(np.float32),
                     counts=counts)
            tmp.replace(path)
        if path.is_file():
            with np.load(path, allow_pickle=False) as z:
                shards.append((z["passages"], z["sentences"], z["counts"]))
        else:
            shards.append(None)
        if progress:
            progress(min(lo + SHARD, len(chunks)), len(chunks))
    stats = {"encoded_now": encoded, "passages_per_s_now": round(encoded / seconds, 1) if seconds else None}
    return shards, stats


def assemble(chunks: list[Chunk], shards: list) -> tuple[list[int], np.ndarray, list[np.ndarray], dict]:
    """(rows of ``chunks`` that have real vectors, their passage vectors, their sentence vectors,
    counts by origin). A passage whose own shard is encoded has its own vectors ("encoded"). A
    sentence or pair passage whose shard is not, in a document whose every chunk is encoded, gets
    the in-context vectors of its sentences from those chunks' forward passes, the vectors the
    answer step stores, averaged and normalised ("in_context"). Others have none."""
    own: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for k, shard in enumerate(shards):
        if shard is not None:
            passages, sentences, counts = shard
            ptr = np.concatenate([[0], np.cumsum(counts)])
            for j in range(len(passages)):
                own[k * SHARD + j] = (passages[j], sentences[ptr[j]:ptr[j + 1]])
    context: dict[str, list[tuple[int, int, np.ndarray]]] = {}
    missing_docs = set()
    for i, c in enumerate(chunks):
        if passage_kind(c) != "chunk":
            continue
        if i not in own:
            missing_docs.add(c.doc_id)
            continue
        context.setdefault(c.doc_id, []).extend((a, b, v) for (a, b), v in zip(c.sentences, own[i][1]))

    def in_context(doc_id: str, a: int, b: int) -> np.ndarray | None:
        found = [v for s, e, v in context.get(doc_id, ()) if s < b and a < e]
        if not found:
            return None
        vec = np.mean(found, axis=0)
        return vec / max(float(np.linalg.norm(vec)), 1e-12)

    rows, vectors, sentence_blocks = [], [], []
    counts = {"encoded": 0, "in_context": 0}
    for i, c in enumerate(chunks):
        if i in own:
            vec, sents = own[i]
            counts["encoded"] += 1
        elif c.doc_id in missing_docs or c.doc_id not in context:
            continue
        else:
            vec = in_context(c.doc_id, c.start, c.end)
            sents = [in_context(c.doc_id, a, b) for a, b in c.sentences]
            if vec is None or any(s is None for s in sents):
                continue
            sents = np.stack(sents)
            counts["in_context"] += 1
        rows.append(i)
        vectors.append(vec)
        sentence_blocks.append(np.asarray(sents, dtype=np.float32).reshape(len(c.sentences), -1))
    passages = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
    return rows, passages, sentence_blocks, counts


def prepare_real(encoder, target: int, scifact: Path, folders: list[Path], cache: Path,
                 budget_s: float | None = None, progress: Callable[[int, int], None] | None = None) -> dict:
    """The real passages, their vectors (encoded now, within ``budget_s``, or read from the cache)
    and the encoding stats: a dict with keys documents, chunks, counts, shards, stats, folder."""
    listing = cache / f"passages-{target}.json"
    inputs = [str(p.resolve()) for p in [scifact, *folders]]
    documents = None
    if listing.is_file():
        saved = json.loads(listing.read_text(encoding="utf-8"))
        if saved.get("inputs") == inputs and saved.get("fingerprint") == getattr(encoder, "fingerprint", None):
            from qa.retrieval.store import chunk_from_json, document_from_json

            documents = [document_from_json(d) for d in saved["documents"]]
            chunks, counts = [chunk_from_json(c) for c in saved["chunks"]], saved["counts"]
    if documents is None:
        from dataclasses import asdict

        documents = real_documents(scifact, folders)
        chunks, counts = real_passages(documents, encoder, target)
        cache.mkdir(parents=True, exist_ok=True)
        body = {"inputs": inputs, "fingerprint": getattr(encoder, "fingerprint", None), "counts": counts,
                "documents": [asdict(d) for d in documents], "chunks": [asdict(c) for c in chunks]}
        tmp = listing.with_suffix(".tmp")
        tmp.write_text(json.dumps(body), encoding="utf-8")
        tmp.replace(listing)
    folder = cache / passages_key(chunks, getattr(encoder, "fingerprint", None))
    shards, stats = encode_cached(chunks, encoder, folder, budget_s, progress)
    return {"documents": documents, "chunks": chunks, "counts": counts, "shards": shards, "stats": stats,
            "folder": folder}
