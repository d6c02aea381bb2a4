"""``qa bench --ingest``: time and peak memory of indexing a large BEIR corpus, at two sizes or more.

Each size's corpus is synthetic, shaped like TREC-COVID from real sentences
(qa.evaluation.synthetic_beir) and cached under ``eval/cache/bench-ingest/``. It is indexed by
``qa eval --beir``'s own path (``build_beir_index``) in a child process of its own
(qa.evaluation.ingest_child), which loads the encoder first. The parent reads the child's
resource usage from ``os.wait4``: its peak resident memory is the ingest's alone (not the
bench's, nor an earlier size's child's, as ``RUSAGE_CHILDREN`` would mix in), and its wall time
runs from the process's start to its end. The index is written to a temporary folder beside the
corpus, measured on disk and removed.

Comparing the sizes shows how memory grows: if the ingest holds one copy of the texts and the
vectors in arrays of their final size, the peak rises by about the vectors' bytes (plus the texts')
per passage, and the rest stays the model's.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation.ingest_child import ENCODERS, thread_environment
from qa.evaluation.synthetic_beir import SyntheticSpec, cached_synthetic_beir
from qa.types import QAError, SettingsError

MIN_DOCUMENTS = 10
TREC_COVID_DOCUMENTS = 171_332  # BEIR's TREC-COVID corpus
STAGES = ("chunk", "encode", "bm25", "dense", "save")


@dataclass(frozen=True)
class IngestBench:
    """What ``qa bench --ingest`` measures: document counts (ascending), where corpora are cached,
    the folder whose sentences make them, threads per library (None: each library's choice) and
    the encoder (``model``, or ``hashed``: everything but the model, qa.evaluation.hashed_encoder)."""

    sizes: tuple[int, ...]
    cache: Path = Path("eval/cache/bench-ingest")
    source: Path = Path("../shared/data/scifact")
    threads: int | None = None
    encoder: str = "model"
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.sizes or list(self.sizes) != sorted(set(self.sizes)) or self.sizes[0] < MIN_DOCUMENTS:
            raise SettingsError(f"--ingest takes document counts of at least {MIN_DOCUMENTS}, ascending, "
                                f"e.g. 100000 (measures 10000 and 100000) or 5000,50000; got {self.sizes!r}")
        if self.threads is not None and self.threads < 1:
            raise SettingsError(f"--threads must be at least 1, got {self.threads}")
        if self.encoder not in ENCODERS:
            raise SettingsError(f"--ingest-encoder must be one of {', '.join(ENCODERS)}, got {self.encoder!r}")


def ingest_sizes(value: str) -> tuple[int, ...]:
    """The sizes ``--ingest`` names: one count N means N/10 and N (memory growth needs two sizes);
    several comma-separated counts are measured as given, in ascending order. Raises SettingsError
    for anything but whole numbers of at least ``MIN_DOCUMENTS``."""
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise SettingsError(f"--ingest takes document counts, e.g. 100000 or 5000,50000; got {value!r}")
    sizes = sorted({int(p) for p in parts})
    if len(sizes) == 1:
        sizes = sorted({max(sizes[0] // 10, MIN_DOCUMENTS), sizes[0]})
    if sizes[0] < MIN_DOCUMENTS:
        raise SettingsError(f"--ingest takes document counts of at least {MIN_DOCUMENTS}; got {value!r}")
    return tuple(sizes)


def run_child(folder: Path, index_dir: Path, out: Path, threads: int | None, encoder: str) -> tuple[dict, float, float]:
    """Index ``folder`` in a child process: (its figures, its wall seconds, its own peak RSS in MB).
    Its progress bars and errors go to this process's stderr; raises QAError when it fails."""
    argv = [sys.executable, "-m", "qa.evaluation.ingest_child", str(folder), str(index_dir), str(out),
            "--encoder", encoder, *(["--threads", str(threads)] if threads else [])]
    env = dict(os.environ, HF_HUB_OFFLINE="1", **thread_environment(threads))
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env)
    _, status, usage = os.wait4(child.pid, 0)  # this child's rusage alone
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise QAError(f"indexing {folder} failed in its child process (exit status {child.returncode}; "
                      "its error is printed above)")
    peak_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024  # macOS counts bytes
    return json.loads(out.read_text(encoding="utf-8")), wall, peak_kb / 1024


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under ``folder``."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def size_row(figures: dict, wall: float, peak_mb: float, index_bytes: int, corpus_bytes: int) -> dict:
    """One size's figures as the bench reports them (seconds, MB of 2**20 bytes, passages a second)."""
    passages, dim = figures["passages"], figures["dim"]
    vector_bytes = passages * dim * 4 + figures["sentences"] * dim * 2  # float32 passages, float16 sentences
    stages = figures["stages_s"]
    model_rss = figures.get("model_rss_mb") or 0.0
    return {
        "documents": figures["documents"], "passages": passages, "sentences": figures["sentences"],
        "wall_s": round(wall, 1), "model_s": figures["model_s"], "ingest_s": figures["ingest_s"],
        "stages_s": {k: stages.get(k, 0.0) for k in STAGES},
        "passages_per_s": round(passages / max(figures["ingest_s"], 1e-9), 2),
        "encode_passages_per_s": round(figures["encoded"] / max(stages.get("encode", 0.0), 1e-9), 2),
        "peak_rss_mb": round(peak_mb, 1), "model_rss_mb": model_rss,
        "ingest_rss_mb": round(peak_mb - model_rss, 1),
        "vector_mb": round(vector_bytes / 2**20, 1), "index_mb": round(index_bytes / 2**20, 1),
        "corpus_mb": round(corpus_bytes / 2**20, 1), "passage_runtime": figures["passage_runtime"],
    }


def growth(small: dict, large: dict) -> dict:
    """How the largest size's figures grow over the smallest's: ratios, and the memory added per
    1,000 passages beside the vectors' own bytes for them (near 1: memory grows with the vectors,
    and the texts they come with, only)."""
    added = max(large["passages"] - small["passages"], 1)

    def per_1000(key: str) -> float:
        return (large[key] - small[key]) / added * 1000

    rss, vectors = per_1000("peak_rss_mb"), per_1000("vector_mb")
    return {
        "passages_ratio": round(large["passages"] / max(small["passages"], 1), 2),
        "ingest_s_ratio": round(large["ingest_s"] / max(small["ingest_s"], 1e-9), 2),
        "peak_rss_ratio": round(large["peak_rss_mb"] / max(small["peak_rss_mb"], 1e-9), 2),
        "ingest_rss_ratio": round(large["ingest_rss_mb"] / max(small["ingest_rss_mb"], 1e-9), 2),
        "rss_mb_per_1000_passages": round(rss, 2),
        "vector_mb_per_1000_passages": round(vectors, 2),
        "index_mb_per_1000_passages": round(per_1000("index_mb"), 2),
        "rss_growth_over_vector_bytes": round(rss / max(vectors, 1e-9), 2),
    }


def extrapolate(small: dict, large: dict, documents: int) -> dict:
    """A straight line through the two sizes, read at ``documents``: seconds (wall and ingest) and
    peak RSS. Sorting (BM25) and the HNSW graph grow a little faster than linearly: a floor, not a bound."""
    span = max(large["documents"] - small["documents"], 1)

    def at(key: str) -> float:
        return large[key] + (large[key] - small[key]) / span * (documents - large["documents"])

    return {"documents": documents, "wall_s": round(at("wall_s")), "ingest_s": round(at("ingest_s")),
            "peak_rss_mb": round(at("peak_rss_mb")), "method": "straight line through the smallest and largest size"}


def bench_ingest(bench: IngestBench, progress=None) -> dict:
    """Every size's figures, their growth and extrapolations to 100,000 documents and to TREC-COVID's
    171,332 (those above the largest size), as one JSON-able dict. ``progress(message)`` hears of
    each step."""
    say = progress or (lambda message: None)
    rows, corpora = [], []
    Path(bench.cache).mkdir(parents=True, exist_ok=True)
    for size in bench.sizes:
        say(f"corpus of {size} documents (made once, then cached in {bench.cache})")
        folder = cached_synthetic_beir(bench.cache, SyntheticSpec(documents=size, seed=bench.seed), bench.source)
        corpora.append(json.loads((folder / "synthetic.json").read_text(encoding="utf-8")) | {"folder": str(folder)})
        say(f"indexing {size} documents in a child process")
        with tempfile.TemporaryDirectory(dir=bench.cache, prefix="index-") as tmp:
            figures, wall, peak = run_child(folder, Path(tmp) / "index", Path(tmp) / "figures.json",
                                            bench.threads, bench.encoder)
            rows.append(size_row(figures, wall, peak, folder_bytes(Path(tmp) / "index"),
                                 (folder / "corpus.jsonl").stat().st_size))
    out = {"encoder": bench.encoder, "threads": bench.threads, "sizes": rows, "corpora": corpora}
    if len(rows) > 1:
        out["growth"] = growth(rows[0], rows[-1])
        out["extrapolated"] = [extrapolate(rows[0], rows[-1], n) for n in (100_000, TREC_COVID_DOCUMENTS)
                               if n > rows[-1]["documents"]]
    out["machine"] = {"cpus": os.cpu_count(), "memory_gb": _memory_gb(), "platform": platform.platform(),
                      "python": platform.python_version()}
    return out


def _memory_gb() -> float | None:
    """The machine's memory in GiB (Linux), else None."""
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None
