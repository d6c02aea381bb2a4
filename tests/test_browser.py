"""End to end in a real browser: `streamlit run app.py`, Debian's headless Chromium driven by
Playwright, over a copy of the corpus plus a hostile document and a three-question gold set.

Every wait is bounded; the server is stopped (and waited for) at the end of the module. Times
are not asserted here: eval/bench_page.py measures them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from qa.web.launch import NotServing, serving

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
# Off CI a missing browser skips this test; on CI (CI=true, set by .ci/run) it fails: CI must
# never go green without opening the page.
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not IN_CI and not Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is not installed (.ci/run installs it with apt-get)")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HOSTILE = ("Hostile notes\n\nIt's a test: <script>window.pwned = 1</script> <img src=x onerror=\"window.pwned = 2\"> "
           "[a link](http://evil.example) $E=mc^2$ and **bold** about lunar gateways.\n\n1. First item\n\n2. Second item\n")
GOLD = [
    {"id": "g1", "question": "When did Singapore sign the Artemis Accords?", "answers": ["March 2022"],
     "evidence": ["In March 2022, the Republic of Singapore signed the Artemis Accords"], "split": "report"},
    {"id": "g2", "question": "What value did one NGO estimate for the global space economy in 2021?",
     "answers": ["$469 billion"], "evidence": ["the value of the global space economy at $469 billion in 2021"],
     "split": "report"},
    {"id": "g3", "question": "Who won the 2022 FIFA World Cup?", "answers": [], "evidence": [], "split": "report"},
]
NGO = "What value did one NGO estimate for the global space economy in 2021?"
QUESTIONS = [NGO, "When did Singapore sign the Artemis Accords?", "What is the Artemis Accords?",
             "Who chairs the UN Committee on the Peaceful Uses of Outer Space?",
             "What does the framework say about space debris?", "What is SPD-5 about?",
             "Who won the 2022 FIFA World Cup?", "How does the State Department support the space industry?"]


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser's path; a failure (not a skip) when it is missing, which only happens on CI."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"CI=true and Chromium is missing at {CHROMIUM}: .ci/run must install it (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from qa.cli.main import main

    root = tmp_path_factory.mktemp("browser-site")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    (root / "gold.jsonl").write_text("".join(json.dumps(q) + "\n" for q in GOLD), encoding="utf-8")
    assert main(["ingest", "--corpus", str(corpus), "--index", str(root / "index")]) == 0
    return root


@pytest.fixture(scope="module")
def server(site):
    env = dict(os.environ, QA_INDEX=str(site / "index"), QA_CORPUS=str(site / "corpus"),
               QA_GOLD=str(site / "gold.jsonl"), HF_HUB_OFFLINE="1", QA_WARMUP_DELAY="3",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    try:
        with serving(env, timeout_s=90) as url:
            yield url
    except NotServing as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser(chromium, server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp("profile")),
                                                       executable_path=chromium, args=FLAGS, headless=True,
                                                       viewport={"width": 1280, "height": 900})
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()


def shots() -> Path:
    folder = Path(os.environ.get("QA_SCREENSHOTS") or ROOT / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ask(page, question: str) -> None:
    box = page.get_by_label("Question", exact=True)
    box.fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


def answered(page, timeout: float = 120_000):
    """The answer (or refusal) block once it is drawn."""
    block = page.locator("div.answer, div.refusal").first
    block.wait_for(timeout=timeout)
    return block


def test_question_box_is_there_while_the_model_loads_and_the_answer_follows(page, server):
    page.goto(server)
    box = page.get_by_label("Question", exact=True)
    box.wait_for(timeout=60_000)
    # The first session starts the loading: the box is usable while the note says the model loads
    # (the note comes once the index is open; QA_WARMUP_DELAY holds the model back 3 s after that)
    page.get_by_text("Loading the model…").first.wait_for(timeout=60_000)
    assert box.is_editable()
    ask(page, NGO)
    answered(page)
    assert page.locator("mark.short").inner_text() == "$469 billion"
    page.get_by_text("Loading the model…").first.wait_for(state="detached", timeout=30_000)


def test_citation_opens_in_place_and_the_answer_stays(page, server):
    page.goto(server)
    ask(page, NGO)
    answered(page)
    citation = page.locator("div.cite").filter(has_text="A Strategic Framework for Space Diplomacy").first
    citation.wait_for()
    assert "p. 5" in citation.inner_text()
    page.screenshot(path=str(shots() / "ask.png"), full_page=True)
    page.evaluate("window.qaMarker = 'same page'")      # gone if the page reloads
    url = page.url
    page.get_by_role("button", name="[1] open in the document").click()
    dialog = page.get_by_role("dialog")
    cited = dialog.locator("mark#cited")
    cited.wait_for()
    assert "One recent NGO estimate" in cited.inner_text() and "page 5" in dialog.inner_text()
    assert dialog.locator(".page-no").count() >= 1 or "p. 5" in dialog.inner_text()
    page.screenshot(path=str(shots() / "citation-dialog.png"))
    assert page.evaluate("window.qaMarker") == "same page" and page.url == url
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert page.locator("mark.short").inner_text() == "$469 billion"
    assert page.get_by_label("Question", exact=True).input_value() == NGO


def test_whole_document_view_then_back_to_the_answer(page, server):
    page.goto(server)
    ask(page, NGO)
    answered(page)
    page.get_by_role("button", name="[1] open in the document").click()
    page.get_by_role("dialog").get_by_role("button", name="Read the whole document").click()
    page.get_by_role("button", name="← Back to Ask").wait_for()
    page.get_by_role("dialog").wait_for(state="detached")
    cited = page.locator("div.reader mark#cited")
    cited.wait_for()
    reader = page.locator("div.reader")
    assert reader.locator(".page-no").count() >= 25                     # page numbers shown
    assert reader.locator("ol, ul, li, p").count() == 0                 # numbered items stay text, no list gaps
    page.wait_for_timeout(1500)                                         # let the scroll script run
    box = cited.bounding_box()
    assert box is not None and 0 <= box["y"] <= 900, box
    page.screenshot(path=str(shots() / "reading-view.png"))
    page.get_by_role("button", name="← Back to Ask").click()
    answered(page)
    assert page.locator("mark.short").inner_text() == "$469 billion"
    assert page.get_by_label("Question", exact=True).input_value() == NGO


def test_switching_pages_keeps_the_question_and_answer(page, server):
    page.goto(server)
    ask(page, NGO)
    answered(page)
    sidebar = page.locator("section[data-testid='stSidebar']")
    sidebar.get_by_text("Evaluate", exact=True).click()
    page.get_by_role("button", name="Run evaluation").wait_for()
    sidebar.get_by_text("Ask", exact=True).click()
    answered(page)
    assert page.locator("mark.short").inner_text() == "$469 billion"
    assert page.get_by_label("Question", exact=True).input_value() == NGO


def test_library_shows_every_column(page, server):
    page.goto(server + "/?page=Documents")
    table = page.locator("table.library")
    table.wait_for()
    cells = table.locator("td.n, th.n")
    assert cells.count() == 2 * (table.locator("tbody tr").count() + 1)
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, box       # nothing cut off at the right
    framework = table.locator("tr").filter(has_text="strategic-framework")
    assert framework.locator("td.n").first.inner_text().strip().isdigit()     # its pages are shown


def test_hostile_document_is_inert_and_apostrophes_show_once(page, server):
    page.goto(server + "/?page=Documents&doc=hostile&start=0&end=13")
    reader = page.locator("div.reader")
    reader.wait_for()
    text = reader.inner_text()
    assert "It's a test: <script>window.pwned = 1</script>" in text
    assert "[a link](http://evil.example) $E=mc^2$ and **bold**" in text
    assert reader.locator("script, img, a, .katex, strong, ol, li").count() == 0
    assert page.evaluate("window.pwned") is None
    page.goto(server + "/?page=Find a quote")
    page.get_by_label("Quote or claim").fill("the release of the State Department's Strategic Framework for Space Diplomacy")
    page.get_by_role("button", name="Find").click()
    mine = page.locator("div.meta", has_text="Your quote").first
    mine.wait_for()
    assert "State Department's Strategic" in page.locator("div.stMarkdown", has_text="Your quote").first.inner_text()
    assert "&#" not in page.locator("[data-testid='stMainBlockContainer']").inner_text()


def test_evaluate_runs_one_split_with_progress(page, server):
    page.goto(server + "/?page=Evaluate")
    page.get_by_role("button", name="Run evaluation").click()
    page.get_by_text("3/3 questions (bm25, dense, hybrid, rerank + answers)").wait_for(timeout=120_000)
    page.get_by_text("3 questions (report split, 2 answerable)").wait_for()


def test_eight_sessions_asking_at_once_are_all_answered(browser, server):
    pages = [browser.new_page() for _ in QUESTIONS]
    try:
        for p in pages:
            p.goto(server)
            p.get_by_label("Question", exact=True).wait_for()
        for p, q in zip(pages, QUESTIONS):
            ask(p, q)
        for p, q in zip(pages, QUESTIONS):
            block = answered(p, timeout=120_000)
            assert block.inner_text().strip(), q
            assert p.get_by_label("Question", exact=True).input_value() == q
        assert pages[0].locator("mark.short").inner_text() == "$469 billion"
    finally:
        for p in pages:
            p.close()


def test_upload_shows_each_step(page, server, site):
    page.goto(server + "/?page=Add documents")
    notes = site / "lunar-notes.md"
    notes.write_text("# Lunar notes\n\nThe Gateway will orbit the Moon and host four crew members.\n", encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(notes))
    page.get_by_role("button", name="Add to the corpus").click()
    page.get_by_text("Index updated").wait_for(timeout=180_000)
    body = page.locator("[data-testid='stMainBlockContainer']").inner_text()
    steps = ["Loading the embedding model…", "Reading the documents…", "Read 7 documents", "Chunking 7 documents…",
             "embedding: 1/1 passages", "Encoded 1 passages"]
    assert all(s in body for s in steps), body
    assert [body.index(s) for s in steps] == sorted(body.index(s) for s in steps)   # in the order they ran
    assert (site / "corpus" / "lunar-notes.md").exists()
