"""``qa bench``, start-up: a fresh ``qa ask`` process (start -> answer printed) on ONNX Runtime and
on sentence-transformers (torch), beside ``python -c "import numpy"``, in the same run; and a
batch, ``qa ask --questions FILE`` from start to the last answer with one worker and with two.

Each process reports its own peak resident memory (VmHWM of /proc/self/status, read inside it as
it ends): the bench's ru_maxrss of children would carry over the bench's own peak.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROBE = ("import re, sys\n{body}\n"
         "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
         "sys.stderr.write('PEAK_RSS_KB=%s\\n' % (hwm.group(1) if hwm else ''))\nsys.exit(rc)\n")
ASK = "from qa.cli.main import main\nrc = main(sys.argv[1:])"
NUMPY = "import numpy\nrc = 0"


def timed_process(body: str, argv: list[str], env: dict, runs: int, outputs: list | None = None) -> dict:
    """Median seconds from start to exit over ``runs`` fresh processes, and the highest peak RSS
    (each process's standard output is appended to ``outputs`` when given)."""
    seconds, peaks = [], []
    for _ in range(runs):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PROBE.format(body=body), *argv], env=env,
                              capture_output=True, text=True)
        seconds.append(time.perf_counter() - t)
        if done.returncode != 0:
            raise RuntimeError(f"bench process failed ({done.returncode}): {done.stderr[-2000:]}")
        if outputs is not None:
            outputs.append(done.stdout)
        peak = [line[12:] for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB=")]
        if peak and peak[-1].isdigit():
            peaks.append(int(peak[-1]) / 1024)
    return {"seconds_p50": round(statistics.median(seconds), 3), "seconds": [round(s, 3) for s in seconds],
            "peak_rss_mb": round(max(peaks), 1) if peaks else None}


def bench_batch(index: Path, questions_file: Path, env: dict, runs: int = 2, workers: tuple[int, ...] = (1, 2)) -> dict:
    """``qa ask --questions FILE --workers W`` over ``index`` in fresh processes, each W in turn,
    ``runs`` rounds (so a noisy spell of the machine falls on every W alike): per W the seconds,
    questions a second (median run) and peak RSS; the speed-up of the most workers over one; and
    whether every run printed the same answers (timings are not printed in a batch)."""
    questions = sum(1 for line in questions_file.read_text(encoding="utf-8").splitlines() if line.strip())
    env = {k: v for k, v in env.items() if k != "QA_ONNX_THREADS"}
    per: dict[int, list[dict]] = {w: [] for w in workers}
    outputs: list[str] = []
    for _ in range(runs):
        for w in workers:
            argv = ["ask", "--questions", str(questions_file), "--index", str(index), "--workers", str(w)]
            per[w].append(timed_process(ASK, argv, env, 1, outputs))
    out = {"questions": questions, "runs": runs, "same_answers": len(set(outputs)) == 1, "workers": {}}
    for w, measured in per.items():
        seconds = [m["seconds"][0] for m in measured]
        out["workers"][str(w)] = {"seconds": seconds, "questions_per_s": round(questions / statistics.median(seconds), 2),
                                  "peak_rss_mb": max((m["peak_rss_mb"] or 0) for m in measured) or None}
    most, one = out["workers"][str(max(workers))], out["workers"][str(min(workers))]
    out["questions_per_s"] = most["questions_per_s"]
    out["speedup"] = round(most["questions_per_s"] / max(one["questions_per_s"], 1e-9), 2)
    return out


def bench_startup(corpus_dir: Path, workdir: Path, question: str, runs: int = 3,
                  questions_file: Path | None = None) -> dict:
    """Fresh-process figures over an index of ``corpus_dir`` built here: ``ask_onnx`` (the default
    encoder), ``ask_torch`` (QA_ENCODER=torch: sentence-transformers, as ``qa ask`` ran before the
    ONNX encoder) and ``numpy_import``, with the ratios between them; with ``questions_file``, also
    ``batch`` (``bench_batch``)."""
    index = workdir / "startup-index"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("QA_ENCODER", None)
    subprocess.run([sys.executable, "-m", "qa.cli.main", "ingest", "--corpus", str(corpus_dir), "--index", str(index)],
                   env=env, check=True, capture_output=True)
    argv = ["ask", question, "--index", str(index), "--json"]
    timed_process(ASK, argv, env, 1)  # warms the page cache (model file, index) for every variant alike
    out = {"runs": runs,
           "numpy_import": timed_process(NUMPY, [], env, runs),
           "ask_onnx": timed_process(ASK, argv, dict(env, QA_ENCODER="onnx"), runs),
           "ask_torch": timed_process(ASK, argv, dict(env, QA_ENCODER="torch"), runs)}
    onnx, torch, numpy = (out[k]["seconds_p50"] for k in ("ask_onnx", "ask_torch", "numpy_import"))
    out["speedup_vs_torch"] = round(torch / max(onnx, 1e-9), 2)
    out["ask_over_numpy_import"] = round(onnx / max(numpy, 1e-9), 2)
    # the keys earlier bench files had
    out["seconds_to_first_answer"] = onnx
    out["ask_process_peak_rss_mb"] = out["ask_onnx"]["peak_rss_mb"]
    if questions_file is not None:
        out["batch"] = bench_batch(index, questions_file, env)
    return out
