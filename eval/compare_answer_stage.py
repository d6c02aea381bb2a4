"""The answer stage of this checkout against that of another revision, in one process and one run.

    python eval/compare_answer_stage.py --base REV [--passages 100000] [--queries 40] [--rounds 5]
                                        [--out eval/compare-answer-stage-DATE.json]

A single ``qa bench`` run times each question once, and on a shared machine two runs differ by
more than a speed-up of 15%: the answer step's p50 alone cannot tell two versions apart. Here
both versions answer the same questions on the same synthetic index (``qa bench``'s: passages
made from the corpus's sentences, vectors mixed from real ones) in the same process, one after
the other for each question (which goes first alternates), over several rounds; each question
keeps its fastest round for each version. The sentence-token cache of both is emptied before
each round, so every round meets its passages for the first time, as a ``qa bench`` run does.

The base revision's ``qa`` package is taken with ``git archive`` and imported as ``qa_base``.
Printed (JSON): each version's answer-step p50 and mean (ms), the median over questions of the
ratio this/base, and the share of questions both answer the same way (abstention, confidence,
quote, short answer, citations). Nothing here is asserted; tests check behaviour, not time.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_IMPORT = re.compile(r"\b(from|import)\s+qa(?=[.\s])")


def base_package(rev: str, into: Path) -> str:
    """Export ``qa/`` at ``rev`` into ``into/qa_base`` with its imports renamed; its commit id."""
    commit = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit, "qa"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into / "export", filter="data")
    (into / "export" / "qa").rename(into / "qa_base")
    for path in (into / "qa_base").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(_IMPORT.sub(r"\1 qa_base", text).replace('"qa.', '"qa_base.'), encoding="utf-8")
    return commit


def signature(answer) -> tuple:
    a = answer.answer
    return (answer.abstained, answer.confidence, a and a.text, a and a.short,
            tuple((c.doc_id, c.start, c.end) for c in answer.citations))


def compare(base: str, passages: int, n_queries: int, rounds: int) -> dict:
    from qa.evaluation.bench import EncodedSample, corpus_sentences, synthetic_index, synthetic_passages
    from qa.retrieval.encoder import Encoder

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        commit = base_package(base, work)
        sys.path.insert(0, str(work))
        import qa_base.answers.answer as base_answer
        import qa_base.answers.features as base_features
        import qa_base.answers.quotes as base_quotes
        import qa_base.retrieval.retriever as base_retriever
        import qa_base.retrieval.store as base_store

        import qa.answers.features as features
        from qa.answers.answer import answer_question
        from qa.answers.quotes import QuoteFinder
        from qa.answers.short import load_places
        from qa.retrieval.retriever import Retriever, SearchSettings
        from qa.retrieval.store import load_index

        encoder = Encoder()
        sentences = corpus_sentences(ROOT / "corpus")
        sample = EncodedSample(encoder, synthetic_passages(sentences, 256, seed=7), work)
        folder, _, _ = synthetic_index(encoder, synthetic_passages(sentences, passages, seed=passages), sample, work)
        lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        queries = [json.loads(line)["question"] for line in lines if line.strip()][:n_queries]
        vectors = encoder.encode_queries(queries)
        ours = Retriever(load_index(folder), encoder)
        theirs = base_retriever.Retriever(base_store.load_index(folder), encoder)
        versions = {
            "this": (lambda q, v, f=QuoteFinder(ours): answer_question(
                ours, f, q, SearchSettings(mode="hybrid", k=5), query_vector=v), features),
            "base": (lambda q, v, f=base_quotes.QuoteFinder(theirs): base_answer.answer_question(
                theirs, f, q, base_retriever.SearchSettings(mode="hybrid", k=5), query_vector=v), base_features),
        }
        for ask, _ in versions.values():  # one-off costs (model file, place names) paid before timing
            ask(queries[0], vectors[0])
        load_places()
        getattr(sys.modules.get("qa_base.answers.short"), "load_places", lambda: None)()
        best = {name: [float("inf")] * len(queries) for name in versions}
        same = [True] * len(queries)
        for r in range(rounds):
            for _, module in versions.values():
                module._sentence_tokens.cache_clear()
            for n, (q, v) in enumerate(zip(queries, vectors)):
                order = ("this", "base") if (r + n) % 2 else ("base", "this")
                answers = {name: versions[name][0](q, v) for name in order}
                for name, a in answers.items():
                    best[name][n] = min(best[name][n], a.timings_ms["answer"])
                same[n] = same[n] and signature(answers["this"]) == signature(answers["base"])
    this, base_ms = np.array(best["this"]), np.array(best["base"])
    return {
        "base": commit, "passages": passages, "questions": len(queries), "rounds": rounds,
        "answer_ms": {name: {"p50": round(float(np.median(v)), 2), "mean": round(float(np.mean(v)), 2)}
                      for name, v in (("this", this), ("base", base_ms))},
        "this_over_base_median": round(float(np.median(this / base_ms)), 3),
        "this_over_base_p50s": round(float(np.median(this) / np.median(base_ms)), 3),
        "same_answers": round(float(np.mean(same)), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the revision to compare with (a commit, tag or branch)")
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    result = compare(args.base, args.passages, args.queries, args.rounds)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
