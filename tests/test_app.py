"""The Streamlit page through streamlit.testing.v1.AppTest, over a small corpus and the real model."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
pytestmark = pytest.mark.slow
EVIL = ("Hostile document\n\nThis page mentions <script>alert(1)</script> and <img src=x onerror=alert(1)> "
        "and [a link](http://evil.example) and ![an image](http://evil.example/x.png) about lunar gateways. "
        "It's $E=mc^2$ and :red[red].")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A corpus (the framework, the IVLP post, the article and a hostile document) and its index."""
    from qa.retrieval.build import IndexSettings, ingest
    from qa.retrieval.encoder import Encoder

    root = tmp_path_factory.mktemp("site")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("strategic-framework-space-diplomacy.txt", "ivlp-space-diplomacy.txt",
                 "breaking-defense-space-diplomacy-framework.txt", "catalog.toml"):
        shutil.copy(ROOT / "corpus" / name, corpus)
    (corpus / "hostile.txt").write_text(EVIL, encoding="utf-8")
    index = root / "index"
    encoder = Encoder()
    ingest(corpus, index, encoder, IndexSettings(model=encoder.name))
    gold = root / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(q) for q in [
        {"id": "g1", "question": "When did Singapore sign the Artemis Accords?", "answers": ["March 2022"],
         "evidence": ["In March 2022, the Republic of Singapore signed the Artemis Accords"], "split": "report"},
        {"id": "g2", "question": "Who won the 2022 FIFA World Cup?", "answers": [], "evidence": [], "split": "report"},
    ]) + "\n")
    old = {k: os.environ.get(k) for k in ("QA_CORPUS", "QA_INDEX", "QA_GOLD")}
    os.environ.update(QA_CORPUS=str(corpus), QA_INDEX=str(index), QA_GOLD=str(gold))
    yield root
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def page(name: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["page"] = name
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input[0].input(question)
    at.button[0].click().run()
    return at


NGO = "What value did one NGO estimate for the global space economy in 2021?"


def test_ask_shows_answer_short_answer_and_citation(site):
    at = ask(page("Ask"), NGO)
    assert not at.exception
    body = markdown(at)
    assert '<mark class="short" id="short">&#36;469 billion</mark>' in body
    assert "[1]" in body and "A Strategic Framework for Space Diplomacy" in body
    assert any(b.label == "[1] open in the document" for b in at.button)
    assert any("U.S. Department of State" in c.value for c in at.code)


def test_answer_is_kept_across_reruns_and_pages_without_asking_again(site, monkeypatch):
    import qa.api

    calls = []
    real = qa.api.Index.ask
    monkeypatch.setattr(qa.api.Index, "ask", lambda self, *a, **kw: calls.append(a) or real(self, *a, **kw))
    at = ask(page("Ask"), NGO)
    assert len(calls) == 1 and "&#36;469 billion" in markdown(at)
    at.run()                                              # any rerun
    at.sidebar.radio[0].set_value("Documents").run()      # another page, then back
    assert "&#36;469 billion" not in markdown(at)
    at.sidebar.radio[0].set_value("Ask").run()
    assert not at.exception
    assert "&#36;469 billion" in markdown(at) and at.text_input[0].value == NGO
    assert len(calls) == 1                                # drawn again from the session, not asked again


def test_citation_opens_the_passage_in_context_and_keeps_the_answer(site):
    at = ask(page("Ask"), NGO)
    at.button(key="cite-1").click().run()
    assert not at.exception
    body = markdown(at)
    reader = next(m.value for m in at.markdown if 'class="reader"' in m.value)
    assert re.search(r'<mark class="cited" id="cited">[^<]*One recent NGO estimate', reader)   # the quote, marked
    assert "page 5" in body                                   # where the passage is
    assert '<mark class="short" id="short">&#36;469 billion</mark>' in body   # the answer is still there
    at.button(key="read-whole").click().run()                 # the whole document, then back
    assert at.sidebar.radio[0].value == "Documents" and not at.exception
    assert re.search(r'<mark class="cited" id="cited">[^<]*One recent NGO estimate', markdown(at))
    at.button(key="back-button").click().run()
    assert at.sidebar.radio[0].value == "Ask"
    assert '<mark class="short" id="short">&#36;469 billion</mark>' in markdown(at)


def test_refusal_is_shown_with_nearest_passages(site):
    at = ask(page("Ask"), "Who won the 2022 FIFA World Cup?")
    assert "The corpus does not answer this." in markdown(at)
    assert len(at.expander) >= 1


def test_empty_question_is_an_error_not_a_traceback(site):
    at = ask(page("Ask"), "   ")
    assert not at.exception and "empty" in at.error[0].value


def test_quote_lookup_exact_near_and_missing(site):
    at = page("Find a quote")
    at.text_area[0].input("inherent necessary tension exists between our dual missions")
    at.button[0].click().run()
    body = markdown(at)
    assert "strategic-framework" in body and "breaking-defense-framework" in body and "exact" in body
    at.text_area[0].input("an inherent tension exists between our two missions of protecting national security")
    at.button[0].click().run()
    assert "near · similarity" in markdown(at) and "<ins>" in markdown(at)
    at.text_area[0].input("The quick brown fox jumps over the lazy dog on the Moon")
    at.button[0].click().run()
    assert "not found" in at.info[0].value


def test_quote_with_a_straight_apostrophe_shows_it_once(site):
    at = page("Find a quote")
    at.text_area[0].input("the release of the State Department's Strategic Framework for Space Diplomacy")
    at.button[0].click().run()
    body = markdown(at)
    assert "Department&#39;s Strategic" in body and "&amp;#" not in body and "&#x27;" not in body


def test_documents_library_and_reading_view(site):
    at = page("Documents", doc="strategic-framework", start="2231", end="2323")
    assert not at.exception
    body = markdown(at)
    table = next(m.value for m in at.markdown if 'class="library"' in m.value)
    assert '<th class="n">pages</th><th class="n">passages</th>' in table
    assert "<td>strategic-framework</td>" in table and "<td>hostile</td>" in table
    reader = next(m.value for m in at.markdown if 'class="reader"' in m.value)
    assert re.search(r'<mark class="cited" id="cited">[^<]*One recent NGO estimate', reader)   # the quote, marked
    assert reader.count('class="page-no"') >= 25 and "p. 5</span>" in reader
    assert "\n" not in reader                                # one HTML block: "1. ..." items are not a Markdown list
    assert "Cited passage [2231:2323], page 5" in "\n".join(c.value for c in at.caption) or "page 5" in body


def test_hostile_document_renders_as_text(site):
    at = page("Documents", doc="hostile", start="0", end="16")
    body = markdown(at)
    assert "&lt;script&gt;alert" in body and "&lt;img src=x onerror=alert" in body
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "](http://evil.example)" not in body and "&#91;a link&#93;" in body
    assert "$E=mc" not in body and "&#36;E=mc" in body and "It&#39;s" in body
    at = page("Ask")
    at.text_input[0].input("<script>alert(1)</script> lunar gateways [x](http://evil.example)")
    at.button[0].click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    body = markdown(at)
    assert "<script>alert" not in body
    assert "The corpus does not answer this." in body or "[1]" in body   # the question was really answered


def test_evaluate_page_runs_one_mode_with_progress_and_a_numeric_k_axis(site):
    at = page("Evaluate")
    at.multiselect(key="eval_modes").set_value(["hybrid"])
    at.button[0].click().run()
    assert not at.exception
    assert "2 questions" in markdown(at)
    modes = at.dataframe[0].value
    assert list(modes["mode"]) == ["hybrid"]
    bar = at.get("progress")[0]
    assert bar.proto.text == "2/2 questions (hybrid + answers)" and bar.proto.value == 100
    chart = next(e for e in at.main if getattr(e, "type", "") == "vega_lite_chart")
    x = json.loads(chart.proto.spec)["layer"][0]["encoding"]["x"]
    assert x["field"] == "k" and x["type"] == "quantitative", x     # 1, 3, 5, 10, 20 in order, not as text


def test_evaluate_page_shows_gold_sets_side_by_side_with_reliability(site, monkeypatch):
    """Two gold sets chosen: one progress bar each, a side-by-side row per set, and each set's
    reliability chart and bins. The named sets are run through qa.evaluate_gold_set; here it is
    pointed at the site's small gold file (the real set's index takes minutes to build)."""
    import qa

    calls = []

    def fake_set(name, split="report", modes=(), answers=True, progress=None, index=None, **_):
        calls.append((name, split, tuple(modes), index is not None))
        return index.evaluate(os.environ["QA_GOLD"], split=split, modes=modes, answers=answers, progress=progress)

    monkeypatch.setattr(qa, "evaluate_gold_set", fake_set)
    at = page("Evaluate")
    at.multiselect(key="eval_sets").set_value(["home", "real"])
    at.multiselect(key="eval_modes").set_value(["hybrid"])
    at.button[0].click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert calls == [("home", "report", ("hybrid",), True), ("real", "report", ("hybrid",), True)]
    assert [b.proto.text for b in at.get("progress")] == ["home: 2/2 questions (hybrid + answers)",
                                                           "real: 2/2 questions (hybrid + answers)"]
    side = at.dataframe[0].value
    assert list(side.columns) == ["figure", "home", "real"] and "hit rate" in list(side["figure"])
    assert [h.value for h in at.subheader] == ["home", "real"]
    assert "Reliability" in markdown(at)
    bins = [d.value for d in at.dataframe if "hit rate" in getattr(d.value, "columns", [])]
    assert len(bins) == 2 and all(len(b) >= 1 for b in bins)


def test_upload_good_and_bad_files(site):
    corpus = site / "corpus"
    before = {p.name for p in corpus.iterdir()}
    at = page("Add documents")
    at.file_uploader[0].upload("fake.txt", b"\x00\x01\x02\x03 binary", "text/plain")
    at.file_uploader[0].upload("../Lunar Notes \u00e9.md",
                               b"# Lunar notes\n\nThe Gateway will orbit the Moon and host four crew members.\n",
                               "text/markdown").run()
    at.button[0].click().run()
    assert not at.exception
    assert any("fake\\.txt" in e.value and "binary" in e.value for e in at.error)
    after = {p.name for p in corpus.iterdir()}
    assert after - before == {"lunar-notes-e.md"}
    assert any("Added" in s.value for s in at.success)
    steps = markdown(at)
    for step in ("Loading the embedding model…", "Reading the documents…", "Read 5 documents",
                 "Chunking 5 documents…", "Encoded 1 passages"):
        assert step in steps, step                                            # each step is shown
    bar = at.get("progress")[0]
    assert bar.proto.text == "embedding: 1/1 passages"
    docs = page("Documents")
    assert "<td>lunar-notes-e</td>" in markdown(docs)
