"""Pictures of the page for the README and docs/: starts `streamlit run app.py` on the home index,
drives Debian's Chromium with Playwright and writes PNGs to docs/images/.

    python docs/make_screenshots.py [--index index] [--corpus corpus] [--out docs/images]

(`make screenshots` runs it after refreshing the index.) It writes:

- ``ask.png``: an answer with its short answer highlighted, the confidence and the citations;
- ``citation-dialog.png``: "[1] open in the document": the cited passage in place over the answer;
- ``find-a-quote.png``: a quote looked up in the corpus, with the source beside it;
- ``evaluate.png``: the Evaluate page after a run of the home gold set's reporting split: the
  retrieval and answer figures, the Recall@k chart and the reliability chart.

Every wait is bounded. When the page shows an error instead (a missing index, reader or
calibration), the script prints it and exits with status 3, writing nothing more.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from qa.web.launch import NotServing, serving

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
QUESTION = "What value did one NGO estimate for the global space economy in 2021?"
QUOTE = "inherent necessary tension exists between our dual missions"
WIDTH = 1280


class PageError(RuntimeError):
    """The page showed an error where a picture was expected."""


@contextmanager
def streamlit(index: Path, corpus: Path, log: Path):
    """A Streamlit server of app.py over ``index``; yields its URL and stops it on the way out."""
    env = dict(os.environ, QA_INDEX=str(index), QA_CORPUS=str(corpus), HF_HUB_OFFLINE="1")
    env.pop("QA_GOLD", None)
    with open(log, "wb") as out:
        try:
            with serving(env, timeout_s=120, output=out) as url:
                yield url
        except NotServing as exc:
            raise PageError(f"{exc} (its output: {log})") from exc


def wait_for(page, selector: str, timeout_s: float):
    """The first element matching ``selector`` once drawn; PageError with the page's error text when
    the page shows an error first (or nothing within ``timeout_s``)."""
    wanted = page.locator(selector).first
    errors = page.locator("[data-testid='stAlertContentError'], [data-testid='stException']")
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if wanted.count() and wanted.is_visible():
            return wanted
        if errors.count():
            raise PageError(errors.first.inner_text())
        page.wait_for_timeout(250)
    raise PageError(f"nothing matching {selector!r} within {timeout_s:.0f} s")


def settle(page, ms: int = 800) -> None:
    """Let Streamlit finish drawing (fonts, charts, the last rerun) before a picture."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(ms)


def shoot_ask(page, url: str, out: Path, timeout_s: float) -> None:
    page.goto(url)
    box = page.get_by_label("Question", exact=True)
    box.wait_for(timeout=timeout_s * 1000)
    box.fill(QUESTION)
    page.get_by_role("button", name="Ask", exact=True).click()
    wait_for(page, "div.answer", timeout_s)
    wait_for(page, "div.cite", 30)
    settle(page)
    page.screenshot(path=str(out / "ask.png"))
    page.get_by_role("button", name="[1] open in the document").click()
    wait_for(page, "[role='dialog'] mark#cited", 60)
    page.locator("[role='dialog'] mark#cited").scroll_into_view_if_needed()
    settle(page)
    page.screenshot(path=str(out / "citation-dialog.png"))
    page.keyboard.press("Escape")


def shoot_quote(page, url: str, out: Path, timeout_s: float) -> None:
    page.goto(url + "/?page=Find a quote")
    page.get_by_label("Quote or claim").fill(QUOTE)
    page.get_by_role("button", name="Find").click()
    wait_for(page, "div.cite", timeout_s)
    settle(page)
    page.screenshot(path=str(out / "find-a-quote.png"))


def shoot_evaluate(page, url: str, out: Path, timeout_s: float) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 2000})
    page.goto(url + "/?page=Evaluate")
    page.get_by_role("button", name="Run evaluation").click()
    wait_for(page, "text=Reliability", timeout_s)
    page.locator("[data-testid='stVegaLiteChart']").last.wait_for(timeout=60_000)
    settle(page, 2000)
    page.screenshot(path=str(out / "evaluate.png"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the page for the README and docs/ "
                                                 "(Debian's Chromium driven by Playwright).")
    parser.add_argument("--index", default=os.environ.get("QA_INDEX", "index"), help="index folder (default: index)")
    parser.add_argument("--corpus", default=os.environ.get("QA_CORPUS", "corpus"), help="corpus folder (default: corpus)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"), help="where the PNGs go (default: docs/images)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for each answer or run")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: Chromium is missing at {CHROMIUM} (apt-get install chromium, or set QA_CHROMIUM)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with streamlit(Path(args.index).resolve(), Path(args.corpus).resolve(), Path(tmp) / "streamlit.log") as url, \
                    sync_playwright() as p:
                context = p.chromium.launch_persistent_context(str(Path(tmp) / "profile"), executable_path=CHROMIUM,
                                                               args=FLAGS, headless=True,
                                                               viewport={"width": WIDTH, "height": 900})
                context.set_default_timeout(60_000)
                try:
                    for shoot in (shoot_ask, shoot_quote, shoot_evaluate):
                        page = context.new_page()
                        shoot(page, url, out, args.timeout)
                        page.close()
                        print(f"{shoot.__name__.removeprefix('shoot_')}: done", file=sys.stderr)
                finally:
                    context.close()
        except PageError as exc:
            print(f"error: the page did not show what the picture needs: {exc}", file=sys.stderr)
            return 3
    for png in sorted(out.glob("*.png")):
        print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
