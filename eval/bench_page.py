"""Times the web page as a user meets it, in headless Chromium (Playwright), and prints one JSON object.

    python eval/bench_page.py [--index index] [--corpus corpus] [--out eval/bench-page-DATE.json]

- ``usable_s``: from starting ``streamlit run app.py`` to the question box shown and editable
  (a fresh server process, the browser already open); ``bare_streamlit_usable_s``: the same for
  a bare Streamlit page holding one text box, the floor on this machine at this time;
- ``model_ready_s``: from the same start to the "loading the model…" note going away;
- ``answer_ms``: Ask clicked to the new answer drawn, once warm, one session (p50, p95, each);
- ``pipeline_ms``: ``Index.ask`` alone in this process for the same questions (p50), to compare;
- ``citation_ms``: "[1] open in the document" clicked to the cited passage shown in the dialog;
- ``sessions_8``: eight sessions (tabs) asking at once: each one's Ask-to-answer time, p50/p95.

The server listens on 127.0.0.1 only and is stopped at the end. Nothing here is asserted:
tests/test_browser.py checks the behaviour, this script reports the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.web.launch import free_port, start, stop

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
QUESTIONS = [
    "What value did one NGO estimate for the global space economy in 2021?",
    "When did Singapore sign the Artemis Accords?",
    "What is the Artemis Accords?",
    "What does the framework say about space debris?",
    "How does the State Department support the U.S. space industry?",
    "Who won the 2022 FIFA World Cup?",
    "What is SPD-5 about?",
    "Which countries signed the Artemis Accords in 2023?",
    "What are the pillars of the strategic framework?",
    "What does the framework say about cybersecurity of space systems?",
]
# The answer or refusal block, and no rerun in progress (Streamlit shows its status widget then).
ANSWER_JS = """prev => { const b = document.querySelector('div.answer, div.refusal');
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  return b && b.outerHTML !== prev && !running ? b.outerHTML : null; }"""


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "n": len(ordered),
            "each": [round(v, 1) for v in values]}


def current_answer(page) -> str:
    return page.evaluate("() => { const b = document.querySelector('div.answer, div.refusal'); return b ? b.outerHTML : ''; }")


def click_ask(page, question: str) -> tuple[str, float]:
    """Fills the box and clicks Ask; returns (the answer block before, the click time)."""
    before = current_answer(page)
    page.get_by_label("Question", exact=True).fill(question)
    started = time.perf_counter()
    page.get_by_role("button", name="Ask", exact=True).click()
    return before, started


def wait_answer(page, before: str, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(ANSWER_JS, arg=before, timeout=timeout_ms, polling=20)


def serve(app: Path, port: int, env: dict, page) -> tuple[subprocess.Popen, float]:
    """Starts ``streamlit run app`` and loads it in ``page``; returns (the process, its start time)."""
    started = time.perf_counter()
    proc = start(env, port, app)
    while True:
        try:
            page.goto(f"http://127.0.0.1:{port}", timeout=5_000)
            return proc, started
        except Exception:          # connection refused until the server listens
            if proc.poll() is not None or time.perf_counter() - started > 120:
                stop(proc)
                raise RuntimeError(f"streamlit did not come up for {app}")
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="index")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--chromium", default=os.environ.get("QA_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, QA_INDEX=str(Path(args.index).resolve()), QA_CORPUS=str(Path(args.corpus).resolve()),
               HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "load_average_at_start": os.getloadavg()[0]}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=FLAGS, headless=True)
        proc = None
        try:
            with tempfile.TemporaryDirectory() as tmp:      # the floor: a bare Streamlit page with one box
                bare = Path(tmp) / "bare.py"
                bare.write_text('import streamlit as st\nst.text_input("Question")\n', encoding="utf-8")
                bare_page = browser.new_page()
                bare_proc, bare_started = serve(bare, free_port(), env, bare_page)
                try:
                    bare_page.get_by_label("Question", exact=True).wait_for(timeout=120_000)
                    result["bare_streamlit_usable_s"] = round(time.perf_counter() - bare_started, 2)
                finally:
                    stop(bare_proc)
                    bare_page.close()
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            proc, started = serve(ROOT / "app.py", port, env, page)
            box = page.get_by_label("Question", exact=True)
            box.wait_for(timeout=120_000)
            result["usable_s"] = round(time.perf_counter() - started, 2)
            result["model_was_loading_when_usable"] = page.get_by_text("Loading the model…").count() > 0
            page.get_by_text("Loading the model…").first.wait_for(state="detached", timeout=300_000)
            result["model_ready_s"] = round(time.perf_counter() - started, 2)

            answers, citations = [], []
            for question in QUESTIONS:
                before, t = click_ask(page, question)
                wait_answer(page, before)
                answers.append((time.perf_counter() - t) * 1000)
                button = page.get_by_role("button", name="[1] open in the document").first
                if 'class="answer"' in current_answer(page):
                    t = time.perf_counter()
                    button.click()
                    page.get_by_role("dialog").locator("mark#cited").wait_for(timeout=60_000)
                    citations.append((time.perf_counter() - t) * 1000)
                    page.keyboard.press("Escape")
                    page.get_by_role("dialog").wait_for(state="detached", timeout=60_000)
            result["answer_ms"] = percentiles(answers)
            result["citation_ms"] = percentiles(citations)

            tabs = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(8)]
            for tab in tabs:
                tab.goto(url)
                tab.get_by_label("Question", exact=True).wait_for(timeout=60_000)
            clicks = [click_ask(tab, q) for tab, q in zip(tabs, QUESTIONS)]
            done: dict[int, float] = {}
            deadline = time.perf_counter() + 120
            while len(done) < len(tabs) and time.perf_counter() < deadline:
                for i, (tab, (before, t)) in enumerate(zip(tabs, clicks)):
                    if i not in done and tab.evaluate(f"({ANSWER_JS})", before):
                        done[i] = (time.perf_counter() - t) * 1000
                time.sleep(0.02)
            result["sessions_8"] = {**percentiles(list(done.values())), "answered": len(done), "of": len(tabs)}
        finally:
            browser.close()
            if proc is not None:
                stop(proc)

    from qa.api import Index

    index = Index.open(args.index)
    index.ask(QUESTIONS[0])
    pipeline = []
    for question in QUESTIONS:
        t = time.perf_counter()
        index.ask(question)
        pipeline.append((time.perf_counter() - t) * 1000)
    result["pipeline_ms"] = percentiles(pipeline)
    result["machine"]["load_average_at_end"] = os.getloadavg()[0]
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
