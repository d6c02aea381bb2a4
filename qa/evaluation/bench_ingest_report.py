"""``qa bench --ingest``'s output: one JSON object, or a Markdown section (a table per size, the
growth between sizes, the extrapolations) like those of docs/performance.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.evaluation.report import markdown_table


def ingest_markdown(result: dict) -> str:
    """The run as a Markdown section: what ran, one row per size, growth and extrapolations."""
    threads = result["threads"] or "each library's default"
    machine = result["machine"]
    lines = [f"### Ingest at scale ({result['encoder']} encoder, {threads} thread(s); "
             f"{machine['cpus']} CPUs, {machine['memory_gb']} GiB)", ""]
    rows = [["documents", "passages", "wall s", "model s", "chunk s", "encode s", "BM25 s", "faiss s", "save s",
             "passages/s", "encode passages/s", "peak RSS MB", "of it model MB", "vectors MB", "index on disk MB"]]
    for r in result["sizes"]:
        s = r["stages_s"]
        rows.append([f"{r['documents']:,}", f"{r['passages']:,}", f"{r['wall_s']:,.1f}", f"{r['model_s']:.1f}",
                     f"{s['chunk']:.1f}", f"{s['encode']:,.1f}", f"{s['bm25']:.1f}", f"{s['dense']:.1f}",
                     f"{s['save']:.1f}", f"{r['passages_per_s']:.1f}", f"{r['encode_passages_per_s']:.1f}",
                     f"{r['peak_rss_mb']:,.0f}", f"{r['model_rss_mb'] or 0:,.0f}", f"{r['vector_mb']:,.0f}",
                     f"{r['index_mb']:,.0f}"])
    lines += [markdown_table(rows), ""]
    if "growth" in result:
        g = result["growth"]
        lines.append(f"From the smallest size to the largest ({g['passages_ratio']}× the passages): ingest time "
                     f"×{g['ingest_s_ratio']}, peak RSS ×{g['peak_rss_ratio']} (above the loaded model: "
                     f"×{g['ingest_rss_ratio']}); each 1,000 passages more added {g['rss_mb_per_1000_passages']} MB "
                     f"at the peak, against {g['vector_mb_per_1000_passages']} MB of vectors "
                     f"(ratio {g['rss_growth_over_vector_bytes']}) and {g['index_mb_per_1000_passages']} MB on disk.")
        for e in result.get("extrapolated", []):
            lines.append(f"Extrapolated to {e['documents']:,} documents ({e['method']}): about "
                         f"{e['wall_s'] / 60:,.0f} minutes, peak RSS about {e['peak_rss_mb']:,} MB.")
        lines.append("")
    return "\n".join(lines)


def cmd_bench_ingest(args) -> int:
    """``qa bench --ingest``: run the ingest bench and print JSON or the Markdown section."""
    from qa.evaluation.bench_ingest import IngestBench, bench_ingest, ingest_sizes

    bench = IngestBench(sizes=ingest_sizes(args.ingest), cache=Path(args.ingest_cache), source=Path(args.scifact),
                        threads=args.threads, encoder=args.ingest_encoder)
    result = bench_ingest(bench, progress=lambda message: print(f"qa bench: {message}", file=sys.stderr))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(result))
    else:
        print(ingest_markdown(result))
    return 0
