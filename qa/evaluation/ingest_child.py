"""One BEIR corpus indexed in this process, by ``qa eval --beir``'s own path, and its figures
written as JSON: the process ``qa bench --ingest`` starts per size (qa.evaluation.bench_ingest),
so that the peak memory its parent reads is the ingest's alone.

Run as ``python -m qa.evaluation.ingest_child FOLDER INDEX OUT.json [--threads N] [--encoder hashed]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from qa.types import SettingsError

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "QA_ONNX_THREADS")
ENCODERS = ("model", "hashed")  # the embedding model (qa.retrieval.encoder), or qa.evaluation.hashed_encoder


def thread_environment(threads: int | None) -> dict[str, str]:
    """The environment variables that hold torch, faiss, BLAS and ONNX Runtime to ``threads`` threads
    each, set before they load ({} for None: each library's own choice)."""
    return {name: str(threads) for name in THREAD_VARIABLES} if threads else {}


def memory_mb(field: str = "VmRSS") -> float | None:
    """This process's ``VmRSS`` (now) or ``VmHWM`` (peak) in MB from /proc/self/status; None where
    there is no /proc."""
    try:
        found = re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return round(int(found.group(1)) / 1024, 1) if found else None


def load_encoder(kind: str):
    """The embedding model (``model``; its passage runtime loaded too, by one short passage) or the
    hashed stand-in (``hashed``); raises SettingsError for another kind."""
    if kind == "hashed":
        from qa.evaluation.hashed_encoder import HashedEncoder

        return HashedEncoder()
    if kind != "model":
        raise SettingsError(f"the ingest encoder must be one of {', '.join(ENCODERS)}, got {kind!r}")
    from qa.retrieval.encoder import Encoder

    encoder = Encoder()
    encoder.encode_passages(["A short passage."], [[(0, 16)]])  # torch by default: loaded on first use
    return encoder


def ingest_figures(folder: Path, index_dir: Path, threads: int | None = None, encoder: str = "model",
                   progress=None) -> dict:
    """Load the encoder, then index the corpus of ``folder`` into ``index_dir``; returns the counts,
    the seconds of each stage and the memory after loading the model (``model_rss_mb``) and at the end."""
    from qa.evaluation.beir_run import build_beir_index

    t = time.perf_counter()
    encoder = load_encoder(encoder)
    if threads:
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
        import faiss

        faiss.omp_set_num_threads(threads)
    model_s = time.perf_counter() - t
    model_rss = memory_mb()
    report = build_beir_index(folder, index_dir, encoder, progress=progress)
    from qa.retrieval.store import read_manifest

    counts = read_manifest(index_dir)["counts"]
    return {"documents": report.documents, "passages": report.chunks, "sentences": counts["sentences"],
            "encoded": report.encoded_chunks, "model_s": round(model_s, 2), "ingest_s": round(report.seconds, 2),
            "stages_s": {k: round(v, 2) for k, v in report.timings.items()},
            "passage_runtime": encoder.passage_backend, "dim": encoder.dim,
            "model_rss_mb": model_rss, "self_peak_rss_mb": memory_mb("VmHWM")}


def main(argv: list[str] | None = None) -> int:
    """Index FOLDER into INDEX and write the figures to OUT; progress bars go to stderr."""
    parser = argparse.ArgumentParser(prog="python -m qa.evaluation.ingest_child")
    parser.add_argument("folder")
    parser.add_argument("index")
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--encoder", choices=ENCODERS, default="model")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.update(thread_environment(args.threads))  # in case the parent did not set them
    bars: dict = {}
    figures = ingest_figures(Path(args.folder), Path(args.index), args.threads, args.encoder,
                             lambda stage, n, total: _bar(bars, stage, total).update(n))
    for bar in bars.values():
        bar.close()
    Path(args.out).write_text(json.dumps(figures), encoding="utf-8")
    return 0


def _bar(bars: dict, stage: str, total: int):
    """The tqdm bar of ``stage`` (on stderr), made on first use."""
    if stage not in bars:
        from tqdm import tqdm

        bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, disable=total == 0, mininterval=5)
    return bars[stage]


if __name__ == "__main__":
    sys.exit(main())
