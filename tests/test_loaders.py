"""Loading each format, bad files, the catalog and the corpus folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from qa.ingestion.catalog import CatalogEntry, read_catalog
from qa.ingestion.layout import tiling_problem
from qa.ingestion.loaders import SUPPORTED_SUFFIXES, load_corpus, load_file, slug
from qa.types import LoadError

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def make_pdf(pages: list[list[str] | None], title: str = "") -> bytes:
    """A real PDF with a Helvetica text layer, one list of lines per page (None = a page
    with only a drawn line, no text)."""
    objects: list[bytes] = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", b""]
    kids = []
    for lines in pages:
        if lines is None:
            stream = b"0 0 m 100 100 l S"
        else:
            ops = [b"BT /F1 12 Tf 14 TL 72 720 Td"]
            for line in lines:
                escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(b"(" + escaped.encode("cp1252") + b") Tj T*")
            stream = b"\n".join(ops + [b"ET"])
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 1 0 R >> >> /Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    root = len(objects)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 2, root)
    if title:
        objects.append(b"<< /Title (" + title.encode("latin-1") + b") >>")
        trailer += b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n" + trailer.replace(b"/Size %d" % (len(objects) + 2), b"/Size %d" % (len(objects) + 1))
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


TWO_PAGES = [
    ["Results of the survey", "The first page describes the communi-", "cation plan for the mission."],
    ["The second page holds the conclusion.", "Page 2 of 2"],
]


def test_fixture_pdf_has_a_text_layer():
    reader = PdfReader(io.BytesIO(make_pdf(TWO_PAGES, title="Survey")))
    assert len(reader.pages) == 2
    assert "second page" in reader.pages[1].extract_text()
    assert reader.metadata.title == "Survey"


def test_pdf_two_pages_keeps_page_numbers(tmp_path):
    path = tmp_path / "survey.pdf"
    path.write_bytes(make_pdf(TWO_PAGES, title="Survey of Things"))
    doc = load_file(path)
    assert doc.title == "Survey of Things"
    assert doc.source_format == "pdf"
    assert doc.page_count == 2
    assert "communication plan" in doc.text
    assert "Page 2 of 2" not in doc.text
    assert doc.page_at(doc.text.index("communication")) == 1
    assert doc.page_at(doc.text.index("second page")) == 2
    assert tiling_problem(doc.pages, len(doc.text)) == ""


def test_pdf_encrypted_with_empty_password_loads(tmp_path):
    path = tmp_path / "open.pdf"
    path.write_bytes(encrypted(make_pdf(TWO_PAGES), ""))
    assert "second page" in load_file(path).text


def test_pdf_bad_files(tmp_path):
    (tmp_path / "locked.pdf").write_bytes(encrypted(make_pdf(TWO_PAGES), "secret"))
    (tmp_path / "scan.pdf").write_bytes(make_pdf([None, None]))
    good = make_pdf(TWO_PAGES)
    (tmp_path / "cut.pdf").write_bytes(good[: len(good) // 2])
    (tmp_path / "good.pdf").write_bytes(good)
    docs, problems = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["good"]
    messages = {Path(p.path).name: str(p) for p in problems}
    assert "encrypted PDF" in messages["locked.pdf"]
    assert "no text layer" in messages["scan.pdf"]
    assert "could not read PDF" in messages["cut.pdf"]
    assert all(name in message for name, message in messages.items())


def test_txt(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("A Short Title\r\n\r\nFirst paragraph   with  spaces.\r\nSecond paragraph.\r\n", encoding="utf-8")
    doc = load_file(path)
    assert doc.text == "A Short Title\n\nFirst paragraph with spaces.\n\nSecond paragraph."
    assert doc.title == "A Short Title"
    assert doc.doc_id == "note"
    assert doc.date == doc.author == doc.url == ""
    assert len(doc.content_hash) == 64


def test_txt_encodings(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Résumé of the café meeting in Zürich.\n".encode("latin-1"))
    (tmp_path / "bom.txt").write_bytes("\ufeffText with a byte order mark.\n".encode("utf-8"))
    assert "Résumé of the café meeting" in load_file(tmp_path / "latin.txt").text
    assert load_file(tmp_path / "bom.txt").text == "Text with a byte order mark."


def test_md_front_matter_links_emphasis(tmp_path):
    path = tmp_path / "fact.md"
    path.write_text(
        "---\ntitle: \"Fact\\_Sheet\"\ndate: 2023-12-20\nsource_url: https://example.org/fact\n---\n\n"
        "Intro line that is\nhard wrapped with a [link\ntext](https://example.org/a_b_c) inside.  \n\n"
        "***Bold Italic Heading***  \n\n"
        "-   **Item one: ** The first\n    item continues.\n-   Item *two* and snake_case_name.\n\n"
        "## Real Heading\n\nLast paragraph\u00a0here.\n",
        encoding="utf-8",
    )
    doc = load_file(path)
    assert doc.title == "Fact Sheet"
    assert doc.date == "2023-12-20" and doc.url == "https://example.org/fact"
    assert doc.text == (
        "Intro line that is hard wrapped with a link text inside.\n\nBold Italic Heading\n\n"
        "Item one: The first item continues.\n\nItem two and snake_case_name.\n\nReal Heading\n\nLast paragraph here."
    )
    (link,) = doc.links
    assert doc.text[link.start : link.end] == "link text" and link.target == "https://example.org/a_b_c"
    assert doc.section_at(doc.text.index("Item one")) == "Bold Italic Heading"
    assert doc.section_at(doc.text.index("Last paragraph")) == "Real Heading"  # same level: replaces it


def test_md_broken_front_matter_is_a_warning(tmp_path):
    (tmp_path / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody text stays.\n", encoding="utf-8")
    docs, problems = load_corpus(tmp_path)
    assert [d.text for d in docs] == ["Body text stays."]
    (warning,) = problems
    assert warning.problem.startswith("warning:") and "broken.md" in str(warning)


def test_html(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>The Page</title><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><noscript>enable js</noscript><h1>Main</h1><p>See <a href='https://example.org'>the site</a> now.</p>"
        "<script>var hidden = 1;</script><div>Second   block<br>line</div><h2>Sub</h2><ul><li>one</li><li>two</li></ul>"
        "</body></html>",
        encoding="utf-8",
    )
    doc = load_file(path)
    assert doc.title == "The Page"
    assert doc.text == "Main\n\nSee the site now.\n\nSecond block\n\nline\n\nSub\n\none\n\ntwo"
    assert "alert" not in doc.text and "color" not in doc.text and "enable js" not in doc.text
    (link,) = doc.links
    assert doc.text[link.start : link.end] == "the site"
    assert doc.section_at(doc.text.index("one")) == "Main > Sub"


def test_bad_files_do_not_stop_good_ones(tmp_path):
    (tmp_path / "good.txt").write_text("Good text.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 20)
    (tmp_path / "zcopy.txt").write_text("Good   text.\r\n", encoding="utf-8")
    (tmp_path / "data.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "Résumé du café.txt").write_text("Un résumé.\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("not a document", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    docs, problems = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["resume-du-cafe", "good"]
    messages = {Path(p.path).name: str(p) for p in problems}
    assert set(messages) == {"empty.txt", "binary.txt", "zcopy.txt", "data.docx"}
    assert "empty file" in messages["empty.txt"]
    assert "looks like a binary file" in messages["binary.txt"]
    assert "unsupported file type" in messages["data.docx"]
    assert "duplicate" in messages["zcopy.txt"] and "same text as good.txt" in messages["zcopy.txt"]
    assert all(name in message for name, message in messages.items())


def test_load_file_errors_name_the_file(tmp_path):
    for name, data in [("e.txt", b""), ("b.md", b"\x00\x00\x00"), ("x.rtf", b"{\\rtf1}")]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoadError, match=name.replace(".", r"\.")):
            load_file(tmp_path / name)
    with pytest.raises(LoadError, match="cannot read"):
        load_file(tmp_path / "missing.txt")


def test_slug_and_id_collisions(tmp_path):
    assert slug("Résumé du Café (v2)") == "resume-du-cafe-v2"
    assert slug("日本語") == "document"
    (tmp_path / "a b.txt").write_text("One.\n", encoding="utf-8")
    (tmp_path / "a-b.txt").write_text("Two.\n", encoding="utf-8")
    (tmp_path / "a_b.md").write_text("Three.\n", encoding="utf-8")
    docs, problems = load_corpus(tmp_path)
    assert problems == []
    assert [d.doc_id for d in docs] == ["a-b", "a-b-2", "a-b-3"]


def test_catalog(tmp_path):
    assert read_catalog(tmp_path) == {}
    (tmp_path / "catalog.toml").write_text(
        '[[document]]\nfile = "n.txt"\nid = "note-1"\ntitle = "Catalog Title"\nkind = "article"\ndate = "2020-01-02"\n',
        encoding="utf-8",
    )
    (tmp_path / "n.txt").write_text("First line title\n\nBody.\n", encoding="utf-8")
    docs, problems = load_corpus(tmp_path)
    assert problems == []
    assert (docs[0].doc_id, docs[0].title, docs[0].kind, docs[0].date) == ("note-1", "Catalog Title", "article", "2020-01-02")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[[document]\n", "invalid TOML"),
        ('[[document]]\nfile = "a.txt"\nkind = "blog"\n', "unknown kind 'blog'"),
        ('[[document]]\nfile = "a.txt"\nid = "x"\n[[document]]\nfile = "b.txt"\nid = "x"\n', "id 'x' is already used"),
        ('[[document]]\ntitle = "no file"\n', "missing field 'file'"),
        ('[[document]]\nfile = "a.txt"\ndate = 2020-01-01\n', "field 'date' must be a string"),
    ],
)
def test_invalid_catalog(tmp_path, toml, expected):
    (tmp_path / "catalog.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(LoadError, match="catalog.toml") as info:
        read_catalog(tmp_path)
    assert expected in str(info.value)


def test_corpus_catalog_and_documents():
    catalog = read_catalog(CORPUS)
    assert {e.doc_id for e in catalog.values()} == {
        "strategic-framework", "wh-fact-sheet-2023-12-20", "ivlp-space-diplomacy",
        "breaking-defense-framework", "csis-next-steps",
    }
    docs, problems = load_corpus(CORPUS)
    assert problems == []
    assert len(docs) == 5
    by_id = {d.doc_id: d for d in docs}
    assert by_id["ivlp-space-diplomacy"].date == "2023-11-28"
    assert by_id["wh-fact-sheet-2023-12-20"].url.startswith("https://bidenwhitehouse.archives.gov/")
    assert by_id["strategic-framework"].source_format == "pdf"
    assert by_id["strategic-framework"].page_count > 20


def test_every_corpus_document_is_well_formed():
    docs, _ = load_corpus(CORPUS)
    for doc in docs:
        n = len(doc.text)
        assert tiling_problem(doc.sections, n) == "", doc.doc_id
        assert tiling_problem(doc.pages, n) == "", doc.doc_id
        assert doc.text == doc.text.strip() and "\n\n\n" not in doc.text and "  " not in doc.text
        assert all(p and p == p.strip() and "\n" not in p for p in doc.text.split("\n\n")), doc.doc_id
        assert all(0 <= ln.start < ln.end <= n for ln in doc.links)
        assert "\u00a0" not in doc.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda s: s.encode("utf-8"))),
       suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_bytes_give_a_document_or_a_load_error(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        doc = load_file(path)
    except LoadError as exc:
        assert "fuzz" in str(exc)
    else:
        assert doc.text and tiling_problem(doc.sections, len(doc.text)) == ""
        assert tiling_problem(doc.pages, len(doc.text)) == ""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=2000), flip=st.integers(min_value=0, max_value=255))
def test_damaged_pdfs_give_a_document_or_a_load_error(tmp_path, cut, flip):
    data = bytearray(make_pdf(TWO_PAGES))
    if cut < len(data):
        data[cut] = flip
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bytes(data[: max(cut, 10)]) if flip % 2 else bytes(data))
    try:
        doc = load_file(path)
    except LoadError as exc:
        assert "damaged.pdf" in str(exc) and exc.problem
    else:  # a byte the reader could live with: still a whole, well-formed document
        assert doc.text.strip() and doc.source_format == "pdf"
        assert tiling_problem(doc.sections, len(doc.text)) == ""
        assert tiling_problem(doc.pages, len(doc.text)) == ""


@pytest.mark.parametrize("limit, loads", [("1", False), ("2", True), ("0.5", False), ("not a number", True)])
def test_qa_max_file_mb_sets_the_size_limit(tmp_path, monkeypatch, limit, loads):
    """A 1.5 MB text file against QA_MAX_FILE_MB; an unreadable value keeps the 25 MB default."""
    path = tmp_path / "big.txt"
    path.write_text(("Space diplomacy line of effort. " * 32 + "\n\n") * 1536, encoding="utf-8")
    assert 1.4 * 2**20 < path.stat().st_size < 1.6 * 2**20
    monkeypatch.setenv("QA_MAX_FILE_MB", limit)
    if loads:
        assert load_file(path).text.startswith("Space diplomacy")
    else:
        with pytest.raises(LoadError, match=rf"big.txt: file is 1.5 MB, over the {limit} MB limit.*QA_MAX_FILE_MB"):
            load_file(path)


def test_catalog_entry_wins(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("Line one\n", encoding="utf-8")
    doc = load_file(path, CatalogEntry(file="x.txt", doc_id="x-1", title="T", publisher="P"))
    assert (doc.doc_id, doc.title, doc.publisher) == ("x-1", "T", "P")
