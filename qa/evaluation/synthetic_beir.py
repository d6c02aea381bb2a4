"""A synthetic BEIR corpus shaped like TREC-COVID, from real sentences, written to disk as it is made.

TREC-COVID (Voorhees et al., "TREC-COVID: Constructing a Pandemic Information Retrieval Test
Collection", SIGIR Forum 2020; in BEIR: 171,332 CORD-19 entries, 50 queries, graded qrels) holds
the titles and abstracts of papers. Each synthetic document here takes a real title and an
abstract of ``min_words`` to ``max_words`` words made of real sentences: a run of consecutive
sentences of the source (mostly from one abstract), jumping to a random sentence now and then,
with one word in twenty swapped for another word of the source; a share of documents holds a
title only, as many CORD-19 entries do. So vocabulary, sentence lengths and term statistics are
those of real scientific abstracts (SciFact's by default), at any size.

Queries are the titles of 50 documents; in the qrels the document a query came from is graded 2,
the others that share its title 1, and a few random ones 0. They give the folder BEIR's layout;
they are no retrieval benchmark. Everything follows from the seed and the source: the same
arguments write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.types import QAError, SettingsError

GENERATOR_VERSION = 1  # bump when the same spec would write other bytes
SPEC_FILE = "synthetic.json"  # written last: a folder without it is incomplete


@dataclass(frozen=True)
class SyntheticSpec:
    """What a synthetic corpus holds; every field changes its bytes."""

    documents: int
    seed: int = 0
    queries: int = 50
    min_words: int = 150
    max_words: int = 250
    title_only: float = 0.05  # share of documents without an abstract
    swap: float = 0.05  # share of an abstract's words replaced by another word of the source
    jump: float = 0.3  # chance that the next sentence is a random one rather than the following one

    def __post_init__(self) -> None:
        if isinstance(self.documents, bool) or not isinstance(self.documents, int) or self.documents < 1:
            raise SettingsError(f"a synthetic corpus needs at least 1 document, got {self.documents!r}")
        if self.queries < 1:
            raise SettingsError(f"a synthetic corpus needs at least 1 query, got {self.queries!r}")
        if not 1 <= self.min_words <= self.max_words:
            raise SettingsError(f"words per abstract: need 1 <= min_words <= max_words, got "
                                f"{self.min_words} and {self.max_words}")
        for name in ("title_only", "swap", "jump"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SettingsError(f"{name} is a share between 0 and 1, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class SourceText:
    """The real text documents are made of: titles, sentences (in source order) and a digest of it."""

    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    digest: str


def source_text(folder: Path) -> SourceText:
    """The titles and sentences (over 20 characters) of a BEIR folder (``corpus.jsonl``, e.g. SciFact)
    or, failing that, of a folder of documents (``qa ingest``'s corpus/: titles are then its short
    sentences). Raises QAError when the folder yields no sentence or no title."""
    from qa.ingestion.chunking import split_sentences

    folder = Path(folder)
    titles: list[str] = []
    texts: list[str] = []
    if (folder / "corpus.jsonl").is_file():
        from qa.evaluation.beir import read_corpus

        for _, doc in read_corpus(folder):
            titles.append(" ".join(doc.title.split()))
            texts.append(doc.text)
    elif folder.is_dir():
        from qa.ingestion.loaders import load_corpus

        texts = [d.text for d in load_corpus(folder)[0]]
    else:
        raise QAError(f"{folder}: no such folder (the source of the synthetic corpus's sentences)")
    sentences = [" ".join(t[a:b].split()) for t in texts for a, b in split_sentences(t) if b - a > 20]
    if not titles:
        titles = [s for s in sentences if 5 <= len(s.split()) <= 20]
    titles = [t for t in titles if t]
    if not sentences or not titles:
        raise QAError(f"{folder}: no sentences or titles to build a synthetic corpus from")
    digest = hashlib.sha256(json.dumps([titles, sentences], ensure_ascii=False).encode()).hexdigest()
    return SourceText(titles=tuple(titles), sentences=tuple(sentences), digest=digest)


def abstract(rng: random.Random, source: SourceText, words: list[str], spec: SyntheticSpec) -> str:
    """One abstract: real sentences until it reaches a length drawn between ``min_words`` and
    ``max_words`` (the last sentence is kept whole), a ``swap`` share of its words replaced."""
    target = rng.randint(spec.min_words, spec.max_words)
    i = rng.randrange(len(source.sentences))
    tokens: list[str] = []
    while len(tokens) < target:
        tokens.extend(source.sentences[i].split())
        i = rng.randrange(len(source.sentences)) if rng.random() < spec.jump else (i + 1) % len(source.sentences)
    for k in rng.sample(range(len(tokens)), round(len(tokens) * spec.swap)):
        tokens[k] = rng.choice(words)
    return " ".join(tokens)


def doc_id(i: int) -> str:
    """The id of the ``i``-th document (0-based)."""
    return f"syn{i:07d}"


def judgements(rng: random.Random, title_of: list[int], n_queries: int) -> tuple[list[int], dict[int, dict[int, int]]]:
    """(the documents queries come from, query number -> document number -> grade): 2 for the source
    document, 1 for others with its title, 0 for up to five random others."""
    n = len(title_of)
    sources = rng.sample(range(n), min(n_queries, n))
    by_title: dict[int, list[int]] = {title_of[d]: [] for d in sources}
    for d, t in enumerate(title_of):
        if t in by_title:
            by_title[t].append(d)
    qrels = {}
    for q, d in enumerate(sources):
        graded = {other: 1 for other in by_title[title_of[d]]}
        graded[d] = 2
        for other in rng.sample(range(n), min(5, n)):
            graded.setdefault(other, 0)
        qrels[q] = dict(sorted(graded.items()))
    return sources, qrels


def write_synthetic_beir(folder: Path, spec: SyntheticSpec, source: SourceText) -> dict:
    """Write ``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv`` and ``synthetic.json`` (the spec,
    the source's digest and counts, last) into ``folder``; one document is in memory at a time.
    Returns what ``synthetic.json`` holds."""
    folder = Path(folder)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / SPEC_FILE).unlink(missing_ok=True)
    rng = random.Random(spec.seed)
    title_of = [rng.randrange(len(source.titles)) for _ in range(spec.documents)]
    sources, qrels = judgements(rng, title_of, spec.queries)
    words = [w for s in source.sentences for w in s.split()]
    total_words = with_text = 0
    staged = folder / "corpus.jsonl.tmp"
    with open(staged, "w", encoding="utf-8") as f:
        for i, t in enumerate(title_of):
            text = "" if rng.random() < spec.title_only else abstract(rng, source, words, spec)
            if text:
                with_text += 1
                total_words += text.count(" ") + 1
            f.write(json.dumps({"_id": doc_id(i), "title": source.titles[t], "text": text}, ensure_ascii=False) + "\n")
    os.replace(staged, folder / "corpus.jsonl")
    with open(folder / "queries.jsonl", "w", encoding="utf-8") as f:
        for q, d in enumerate(sources):
            f.write(json.dumps({"_id": f"q{q + 1}", "text": source.titles[title_of[d]].rstrip(".")},
                               ensure_ascii=False) + "\n")
    with open(folder / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q, graded in qrels.items():
            f.writelines(f"q{q + 1}\t{doc_id(d)}\t{grade}\n" for d, grade in graded.items())
    record = {"generator_version": GENERATOR_VERSION, "spec": asdict(spec), "source_digest": source.digest,
              "documents": spec.documents, "with_text": with_text, "queries": len(sources),
              "mean_words": round(total_words / max(with_text, 1), 1)}
    (folder / SPEC_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return record


def cached_synthetic_beir(cache: Path, spec: SyntheticSpec, source_folder: Path) -> Path:
    """The folder under ``cache`` holding the corpus of ``spec`` made from ``source_folder``; written
    first unless a complete one (its ``synthetic.json`` matching) is already there."""
    source = source_text(source_folder)
    key = hashlib.sha256(json.dumps([GENERATOR_VERSION, asdict(spec), source.digest]).encode()).hexdigest()[:10]
    folder = Path(cache) / f"trec-covid-like-{spec.documents}-seed{spec.seed}-{key}"
    try:
        record = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
        if record.get("spec") == asdict(spec) and record.get("source_digest") == source.digest:
            return folder
    except (OSError, ValueError):
        pass
    write_synthetic_beir(folder, spec, source)
    return folder
