"""Pure helpers of the web page: escaping, highlights, diffs, upload checks and names."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.web.view import (
    check_upload,
    context_span,
    diff_words,
    esc,
    highlight,
    md_escape,
    reading_html,
    reading_link,
    safe_upload_name,
    safe_url,
)

EVIL = '<script>alert(1)</script> <img src=x onerror=alert(1)> [link](http://evil) ![img](http://evil/x.png)'


def test_esc_neutralises_html_and_markdown():
    out = esc(EVIL)
    assert "<script" not in out and "<img" not in out
    assert "[" not in out and "](" not in out and "!" not in out
    assert "&lt;script&gt;" in out


def test_highlight_marks_nested_spans_at_absolute_offsets():
    text = "It cost $469 billion in 2021."
    out = highlight(text, [(100, 129, "quote"), (108, 120, "short")], base=100)
    assert out == '<mark class="quote" id="quote">It cost <mark class="short" id="short">&#36;469 billion</mark> in 2021.</mark>'


def test_highlight_escapes_text_and_clips_spans():
    out = highlight("<b>x</b>", [(-5, 3, "a"), (50, 60, "b")])
    assert out == '<mark class="a" id="a">&lt;b&gt;</mark>x&lt;/b&gt;'


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=1))
def test_highlight_never_lets_markup_through(text, spans):
    out = highlight(text, [(a, b, "m") for a, b in spans])
    stripped = out.replace('<mark class="m" id="m">', "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_diff_words_marks_changes():
    left, right = diff_words("an inherent tension exists", "an inherent necessary tension exists")
    assert "<ins>necessary</ins>" in right and "<del>" not in left
    left, right = diff_words("<b>bold</b> claim", "a claim")
    assert "&lt;b&gt;" in left


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\evil.txt", "evil.txt"),
    ("Stratégie spatiale 2024.PDF", "strategie-spatiale-2024.pdf"),
    ("  .hidden.md", "hidden.md"),
    ("报告.html", "document.html"),
])
def test_safe_upload_name(name, expected):
    assert safe_upload_name(name, set()) == expected


def test_safe_upload_name_never_overwrites():
    assert safe_upload_name("a.txt", {"a.txt", "a-2.txt"}) == "a-3.txt"


@pytest.mark.parametrize("name, data, problem", [
    ("a.exe", b"MZ", "not accepted"),
    ("a.txt", b"", "empty"),
    ("a.pdf", b"hello", "not a PDF"),
    ("a.txt", b"%PDF-1.7 ...", "rename it"),
    ("a.txt", b"\x00\x01\x02binary", "binary"),
    ("a.md", b"x" * 30, ""),
    ("a.pdf", b"%PDF-1.4\n", ""),
])
def test_check_upload_by_content(name, data, problem):
    message = check_upload(name, data)
    assert (problem in message) if problem else message == ""


def test_check_upload_size_limit():
    assert "limit" in check_upload("a.txt", b"x" * 2000, max_bytes=1000)


def test_safe_url_and_reading_link():
    assert safe_url("javascript:alert(1)") == "" and safe_url("data:text/html,x") == ""
    assert safe_url("https://example.org/a") == "https://example.org/a"
    assert reading_link("a b&c", 1, 5) == "?page=Documents&doc=a%20b%26c&start=1&end=5"


def test_md_escape_disarms_links_images_and_emphasis():
    out = md_escape(EVIL)
    assert "\\[link\\]\\(http\\://evil\\)" in out and "\\!\\[img\\]" in out and "\\<script\\>" in out


HOSTILE = "The Accords' <script>alert(1)</script> [x](http://evil.example) $E=mc^2$ :red[hi] **b**\n\n1. item"


def test_esc_escapes_exactly_once_and_keeps_apostrophes():
    out = esc("The Accords' principles")
    assert html.unescape(out) == "The Accords' principles"
    assert "&#x27;" not in out and "&amp;#" not in out   # the old bug: the reference escaped again


def test_esc_leaves_nothing_active():
    out = esc(HOSTILE)
    assert html.unescape(out) == HOSTILE
    for active in ("<", ">", "[", "]", "(", "$", ":", "*", "\n", "'"):
        assert active not in out, active


@given(st.text(max_size=80))
def test_esc_is_one_escape(text):
    """Unescaping once gives the text back: escaped exactly once, whatever the text."""
    out = esc(text)
    assert html.unescape(out) == text
    assert "<" not in out and "\n" not in out


@given(st.text(max_size=60), st.integers(0, 60), st.integers(0, 60))
def test_highlight_escapes_exactly_once(text, a, b):
    out = highlight(text, [(min(a, b), max(a, b), "m")])
    assert html.unescape(out.replace('<mark class="m" id="m">', "").replace("</mark>", "")) == text


def test_md_escape_disarms_math_and_shortcodes():
    out = md_escape("$469 billion and $500 :rocket:")
    assert "\\$469" in out and "\\$500" in out and "\\:rocket\\:" in out


def _doc(text, pages=()):
    from qa.types import Document, Span

    return Document(doc_id="d", text=text, title="T", path="d.txt",
                    pages=tuple(Span(start=a, end=b, label=label) for a, b, label in pages))


def test_reading_html_shows_page_numbers_and_the_cited_span():
    text = "First page text.\n\n1. An item.\n\n2. Another item.\n\nSecond page's text."
    second = text.index("Second")
    doc = _doc(text, [(0, second, "4"), (second, len(text), "5")])
    out = reading_html(doc, cited=(second, len(text)))
    assert out.count('class="page-no"') == 2 and "p. 4" in out and "p. 5" in out
    assert out.index("p. 5") < out.index('<mark class="cited"')    # the page number opens its page
    assert "\n" not in out and html.unescape(out).count("\n") == 6     # one line of markup, newlines as references
    assert "Second page&#39;s text." in out


def test_context_span_widens_to_paragraphs():
    text = "A" * 50 + "\n\n" + "Before. Cited sentence. After." + "\n\n" + "B" * 50
    start = text.index("Cited")
    lo, hi = context_span(text, start, start + 15, chars=40)
    assert text[lo:hi] == "Before. Cited sentence. After."
    assert context_span(text, start, start + 15, chars=5) == (start - 5, start + 20)


def test_the_reading_views_caption_escapes_the_section_title():
    """The caption is Markdown; a section title is document text and must stay inert there."""
    from types import SimpleNamespace

    from qa.web.reading import cited_caption

    doc = SimpleNamespace(page_at=lambda at: None, section_at=lambda at: "**Bold** [a link](http://evil.example) $x$")
    caption = cited_caption(doc, 3, 9)
    assert "**Bold**" not in caption and "[a link](" not in caption and "$x$" not in caption
    assert caption.replace("\\", "").startswith("Cited passage [3:9], section “**Bold** [a link](http://evil.example)")
    paged = SimpleNamespace(page_at=lambda at: 5, section_at=lambda at: "")
    assert cited_caption(paged, 3, 9).replace("\\", "") == "Cited passage [3:9], page 5"
