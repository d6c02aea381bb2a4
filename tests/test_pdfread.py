"""PDF text of record on small PDFs made here with reportlab (chosen sizes and positions),
plus checks on the shared real PDFs (slow; on eval/corpus-real, the repository's copies of ../shared/corpus-real)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.ingestion.loaders import load_corpus, load_file
from qa.ingestion.wordlist import glued_share

pytest.importorskip("reportlab")
from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

REAL = Path(__file__).resolve().parent.parent / "eval" / "corpus-real"   # copies of ../shared/corpus-real
BODY = [
    "The committee met in the spring to review how states report their activities in orbit,",
    "and it agreed that every launching state should share its plans with the others before",
    "a launch takes place. The members also asked the secretariat to publish a yearly list.",
]


def make_pdf(path: Path, pages: list[list[tuple]], title: str = "") -> Path:
    """Write a PDF whose pages hold ``(text, size, x, y)`` strings, or ``(text, size, x, y,
    "glued")`` lines drawn word by word without space characters."""
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    if title:
        c.setTitle(title)
    for items in pages:
        for text, size, x, y, *how in items:
            if how and how[0] == "glued":
                t = c.beginText(x, y)
                t.setFont("Times-Roman", size)
                for word in text.split():
                    t.textOut(word)
                    t.moveCursor(stringWidth(word, "Times-Roman", size) + 1.3, 0)
                c.drawText(t)
            else:
                c.setFont("Times-Roman", size)
                c.drawString(x, y, text)
        c.showPage()
    c.save()
    return path


def pdf_in_font(path: Path, font: str, lines: list[str]) -> Path:
    """Write a one-page PDF of ``lines`` (11 points, 14 apart) in the registered TrueType ``font``."""
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.setFont(font, 11)
    for i, line in enumerate(lines):
        c.drawString(72, 700 - 14 * i, line)
    c.showPage()
    c.save()
    return path


def body_lines(top: float = 700, size: float = 11, page: int = 0) -> list[tuple]:
    """The three BODY lines, the first one naming ``page`` when it is given."""
    days = ("", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    lines = [f"On {days[page]} the committee met to review how states report their activities," if page else BODY[0]]
    return [(line, size, 72, top - 14 * i) for i, line in enumerate(lines + BODY[1:])]


def test_running_heads_feet_and_page_numbers_go_whatever_their_wording(tmp_path):
    pages = []
    for n in range(1, 8):
        head = f"2017] INCENTIVES FOR KEEPING TESTS CLEAN {180 + n}" if n % 2 else f"{180 + n} JOURNAL OF TESTS [Vol. 9:1"
        pages.append([(head, 9, 72, 750), *body_lines(page=n), (f"- {n} -", 9, 300, 40), (f"21-15518 {n}/7", 8, 480, 40)])
    doc = load_file(make_pdf(tmp_path / "heads.pdf", pages))
    assert "INCENTIVES" not in doc.text and "JOURNAL OF TESTS" not in doc.text
    assert "21-15518" not in doc.text and not re.search(r"- \d -", doc.text)
    assert doc.text.count("the committee met to review") == 7
    assert doc.page_at(doc.text.index("On Sunday")) == 7


def test_footnotes_by_size_and_glued_markers_left_out(tmp_path):
    page = body_lines()[:2] + [
        ("a launch takes place and is categorized.", 11, 72, 672), ("52", 7, 72 + stringWidth(
            "a launch takes place and is categorized.", "Times-Roman", 11), 676),
        ("The six tourists flew on the second day of the mission as planned by the crew.", 11, 72, 658),
        ("52 A note in small print at the foot of the page, which names its source.", 8, 72, 80),
    ]
    doc = load_file(make_pdf(tmp_path / "notes.pdf", [page]))
    assert "before a launch takes place and is categorized.\n\nThe six tourists flew" in doc.text
    assert "categorized.52" not in doc.text and "52" not in doc.text[: doc.text.index("The six")]
    (note,) = doc.footnotes
    assert doc.text[note.start:note.end].startswith("52 A note in small print")
    assert doc.section_at(note.start) == "Footnotes > 52"


def test_marks_in_the_lines_own_type_leave_the_body_when_their_notes_are_in_small_print(tmp_path):
    """Some PDFs (the Duke law review) set a note's mark in the line's own run, at the body's
    size: only the small-print note at the foot tells it is a mark ("abroad.32 Importantly")."""
    page = [("The committee met to review how states report their activities in orbit.32 The", 11, 72, 700),
            ("members asked for a list under the Alien Tort Claims Act,33 the law of 1789.", 11, 72, 686),
            ("32 A note in small print at the foot of the page.", 8, 72, 90),
            ("33 Another note in small print.", 8, 72, 80)]
    doc = load_file(make_pdf(tmp_path / "marks.pdf", [page]))
    assert "activities in orbit. The members asked for a list under the Alien Tort Claims Act, the law" in doc.text
    assert len(doc.footnotes) == 2


def test_long_notes_that_start_above_the_middle_of_the_page_are_notes(tmp_path):
    """A law review's notes can fill more than half a page (the Duke review's note 1 starts at
    0.45 of its height): a numbered small-print line that the body marks, with small print from
    it to the foot, starts a note. A small-print table the body does not mark stays in the body."""
    note = "A note in small print that goes on and on, as a law review's notes do, for many lines."
    page = [("The committee met to review how states report their activities in orbit.1 The", 11, 72, 700),
            ("members asked for a yearly list of every launch, as the law requires of them.", 11, 72, 686),
            ("1 See the report of the committee, which runs to many pages of small print.", 8, 72, 400),
            *[(note, 8, 72, 390 - 10 * i) for i in range(25)]]
    before = [line for k in range(12) for line in body_lines(740 - 56 * k)]  # a page of body text first
    doc = load_file(make_pdf(tmp_path / "long-notes.pdf", [before, page]))
    assert "activities in orbit. The members asked" in doc.text
    (first,) = doc.footnotes
    assert doc.text[first.start:first.end].startswith("1 See the report of the committee")
    table = [page[0], page[1], ("2 Launches per year by state and by kind of orbit", 8, 72, 400),
             *[(f"Year {1990 + i}: {i} low orbit, {2 * i} high orbit", 8, 72, 390 - 10 * i) for i in range(25)]]
    doc = load_file(make_pdf(tmp_path / "table.pdf", [before, table]))
    assert not doc.footnotes and "2 Launches per year by state" in doc.text


def test_headings_and_captions_are_their_own_blocks(tmp_path):
    page = [("Introduction", 16, 72, 740), *body_lines(710),
            ("Figure 3: Launches per year by state", 9, 72, 600), *body_lines(560)]
    doc = load_file(make_pdf(tmp_path / "heads.pdf", [page]))
    assert "\n\nIntroduction\n\n" in doc.text or doc.text.startswith("Introduction\n\n")
    assert doc.section_at(doc.text.index("The committee")) == "Introduction"
    (caption,) = doc.captions
    assert doc.text[caption.start:caption.end] == "Figure 3: Launches per year by state"
    assert doc.in_caption(caption.start, caption.start + 5)
    assert not doc.in_caption(0, doc.text.index("Figure 3") - 2)


def test_numbered_headings_with_a_dot_after_the_number_are_headings(tmp_path):
    """European documents number their sections "1.1." (the EU strategy); such a heading was run
    into its first paragraph. A full-width numbered paragraph that wraps on ("2.2. Promote the use
    of ... to enhance" / "scientific knowledge", the UN resolution) is no heading, and a heading
    that ends with a comma goes on over the next line."""
    text = "The committee met to review how states report their activities in orbit."
    page = [("1.1. Defining the space domain", 11, 72, 740), (text, 11, 72, 722),
            ("2.1. A framework for the protection of space systems,", 11, 72, 690),
            ("information sharing and cooperation", 11, 72, 676), (text, 11, 72, 658),
            ("2.2. Promote the use of space technologies and their applications to help", 11, 72, 626),
            ("scientific knowledge of the natural environment, including oceans and seas.", 11, 72, 612),
            *body_lines(580)]
    doc = load_file(make_pdf(tmp_path / "dotted.pdf", [page]))
    assert doc.text.startswith("1.1. Defining the space domain\n\nThe committee met")
    assert doc.section_at(doc.text.index("The committee")) == "1.1. Defining the space domain"
    assert "\n\n2.1. A framework for the protection of space systems, information sharing and cooperation\n\n" in doc.text
    assert "2.2. Promote the use of space technologies and their applications to help scientific" in doc.text


def test_hyphens_lists_urls_and_contents_leaders(tmp_path):
    lines = [
        "Contents ........................................ 3",
        "The parties agreed to cooperate inter-",
        "nationally on long-",
        "term plans and on data that were ac-",
        "cidently shared through memory-1http://trec.nist.gov/data/x.html augmented tools.",
        "The parties shall:",
        "(a) notify the others of launches;",
        "(b) share orbital data.",
    ]
    doc = load_file(make_pdf(tmp_path / "mixed.pdf", [[(x, 11, 72, 700 - 14 * i) for i, x in enumerate(lines)]]))
    assert "cooperate internationally on long-term plans" in doc.text
    assert "accidently shared" in doc.text
    assert "http" not in doc.text and "trec.nist" not in doc.text
    assert "Contents" not in doc.text and "....." not in doc.text
    assert "\n\n(a) notify the others of launches;\n\n(b) share orbital data." in doc.text


def test_words_cut_by_a_space_are_joined_again(tmp_path):
    """Extraction that puts a space inside a word ("Gr oup", "op erational") is mended; two words
    that would make a third, acronyms and letters of a formula stay as they are."""
    page = [("The Gr oup agreed that op erational satellites in F rance relate s to b y the plan.", 11, 72, 700),
            ("It is a typical S and C is case: EO is the term, and S j+n is n/a n/a in fo reign lands.", 11, 72, 686)]
    text = " ".join(load_file(make_pdf(tmp_path / "cut.pdf", [page])).text.split())
    assert "The Group agreed that operational satellites in France relates to by the plan." in text
    assert "It is a typical S and C is case: EO is the term, and S j+n is n/a n/a in foreign lands." in text


def test_words_run_together_are_read_again(tmp_path):
    text = "for states that would otherwise comply with international obligations"
    page = [(text, 11, 72, 700 - 14 * i, "glued") for i in range(6)]
    doc = load_file(make_pdf(tmp_path / "glued.pdf", [page]))
    assert "forstatesthatwould" not in doc.text
    assert "for states that would otherwise comply" in doc.text
    assert glued_share(doc.text) == 0


def test_title_from_largest_text_when_metadata_is_junk(tmp_path):
    page = [("Rules for Keeping Orbits Clean", 20, 72, 740), *body_lines()]
    junk = load_file(make_pdf(tmp_path / "a.pdf", [page], title="Microsoft Word - draft_v3.odt"))
    assert junk.title == "Rules for Keeping Orbits Clean"
    good = load_file(make_pdf(tmp_path / "b.pdf", [page], title="Orbital Debris Rules in Practice"))
    assert good.title == "Orbital Debris Rules in Practice"


def test_corpus_folder_says_what_to_skip(tmp_path):
    (tmp_path / "SOURCES.md").write_text("# Sources\n\nWhere each file comes from.\n")
    (tmp_path / "README.md").write_text("# Read me\n\nNotes.\n")
    (tmp_path / "draft-1.txt").write_text("A draft that is not ready.\n")
    (tmp_path / "old.txt").write_text("An old version.\n")
    (tmp_path / "kept.txt").write_text("The document itself.\n")
    (tmp_path / ".qaignore").write_text("# drafts stay out\ndraft-*.txt\n")
    (tmp_path / "catalog.toml").write_text('[[document]]\nfile = "old.txt"\nskip = true\n\n'
                                           '[[document]]\nfile = "kept.txt"\nprimacy = 0\n')
    docs, problems = load_corpus(tmp_path)
    assert [d.path.rsplit("/", 1)[-1] for d in docs] == ["kept.txt"] and not problems
    assert docs[0].primacy == 0


def test_primacy_is_read_from_the_catalog():
    from qa.answers.citations import primacy
    from qa.ingestion.catalog import read_catalog

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    catalog = read_catalog(corpus)
    framework = load_file(corpus / "strategic-framework-space-diplomacy.txt", catalog["strategic-framework-space-diplomacy.txt"])
    article = load_file(corpus / "csis-next-steps-space-partnerships.txt", catalog["csis-next-steps-space-partnerships.txt"])
    assert primacy(framework) < primacy(article)


needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="eval/corpus-real is not here")


@pytest.fixture(scope="module")
def real_docs():
    docs, problems = load_corpus(REAL)
    assert not [p for p in problems if not p.problem.startswith("warning")]
    return {Path(d.path).name: d for d in docs}


@pytest.mark.slow
@needs_real
def test_real_pdfs_read_as_prose(real_docs):
    assert "SOURCES.md" not in real_docs and len(real_docs) == 12
    mich = real_docs["mich-lr-citizen-shareholders.pdf"]
    assert glued_share(mich.text) < 0.005  # pypdf alone: about 0.13 of the tokens glued
    assert "for states that would otherwise" in mich.text.replace("\n", " ")
    duke = real_docs["duke-lj-transnational-corporate-law.pdf"]
    assert "DUKE LAW JOURNAL [Vol" not in duke.text and "PRINTER (DO NOT DELETE)" not in duke.text
    un = real_docs["un-a68-189-gge-tcbm.pdf"]
    assert not re.search(r"\n\n(?:\d+ )?13-40835(?: \d+)?\n\n", un.text)
    assert "Gr oup" not in un.text and "op erational" not in un.text and "The Group" in un.text
    uk = real_docs["uk-space-strategy-in-action.pdf"]
    assert not re.search(r"[a-z]\.\d{1,2}(?= [A-Z])", uk.text.split("\n\n")[5])
    assert uk.footnotes and "\ufffd" not in uk.text and "national security" in uk.text
    eu = real_docs["eu-space-strategy-security-defence.pdf"]
    assert "\uf0d8" not in eu.text and "\n\n• By the end of 2023, the Commission" in eu.text
    for doc in real_docs.values():
        assert not doc.title.startswith(("Microsoft Word", "Slide ")) and doc.title != "netdb-2011"
        assert all(doc.text[s.start:s.end] for s in doc.captions)
    assert any(d.captions for d in real_docs.values())


@pytest.mark.slow
@needs_real
def test_real_pdfs_drop_contents_leaders(real_docs):
    for doc in real_docs.values():
        assert not re.search(r"(?:\. ?){6,}\d", doc.text)


def test_pdfminer_ties_are_broken_in_the_order_objects_are_first_seen():
    """pdfminer groups equidistant text boxes in ``id()`` order, a memory address; while
    ``_stable_ties`` is open, ``id`` there numbers objects by first sight, and it is gone after."""
    import pdfminer.layout

    from qa.ingestion.pdfread import _stable_ties

    a, b = object(), object()
    with _stable_ties():
        assert [pdfminer.layout.id(x) for x in (b, a, b, a)] == [0, 1, 0, 1]
    with _stable_ties():
        assert pdfminer.layout.id(a) == 0
    assert "id" not in vars(pdfminer.layout)


@pytest.mark.slow
@needs_real
def test_a_pdfminer_page_reads_the_same_every_time():
    """Page 12 of the Michigan article (read by pdfminer: pypdf glues its words) has footnote
    fragments at equal distances; their order changed from read to read before the ties were fixed."""
    from qa.ingestion.pdfread import _pdfminer_page

    import random

    from pdfminer.layout import LTTextBoxHorizontal

    data = (REAL / "mich-lr-citizen-shareholders.pdf").read_bytes()
    rng, reads = random.Random(0), set()
    for _ in range(6):  # boxes left in memory move the addresses of the next read's boxes
        ballast = [LTTextBoxHorizontal() for _ in range(rng.randrange(500))]
        del ballast[::2]
        reads.add(_pdfminer_page(data, 11, 792.0).lines)
    assert len(reads) == 1


def test_ligatures_in_a_pdf_are_spelt_out(tmp_path):
    """LaTeX papers' PDFs extract "fi" and "fl" as one character (U+FB01, U+FB02), which the
    models' word pieces do not know; the document text spells them out, so search finds them."""
    import os

    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("Vera", os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")))
    path = pdf_in_font(tmp_path / "ligatures.pdf", "Vera",
                       ["The reader was \ufb01ne-tuned on the \ufb02ow of questions from the \ufb01eld."])
    from pypdf import PdfReader

    assert "\ufb01ne-tuned" in PdfReader(str(path)).pages[0].extract_text()   # what pypdf gives
    text = load_file(path).text
    assert "The reader was fine-tuned on the flow of questions from the field." in text
    assert not re.search("[\ufb00-\ufb06]", text)


def test_ligatures_the_font_left_unmapped_are_spelt_out(tmp_path):
    """Word-made PDFs (the UK strategy) may map Calibri's "ti" and "tt" ligatures to U+FFFD:
    "na\ufffdonal". The document text spells each such word out as the ligature that makes it a
    word, so search, the models and the reader see "national"."""
    from matplotlib import font_manager
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # DejaVu Sans (shipped with matplotlib) draws U+FFFD, and pypdf reads it back as U+FFFD
    pdfmetrics.registerFont(TTFont("DejaVu", font_manager.findfont("DejaVu Sans", fallback_to_default=False)))
    path = pdf_in_font(tmp_path / "lost.pdf", "DejaVu", [
        "We are se\ufffdng out na\ufffdonal priori\ufffdes for space ac\ufffdvi\ufffdes.", "The score was 3 \ufffd 4 in the end."])
    from pypdf import PdfReader

    assert "na\ufffdonal" in PdfReader(str(path)).pages[0].extract_text()   # what pypdf gives
    text = load_file(path).text
    assert "We are setting out national priorities for space activities." in text
    assert "3 \ufffd 4" in text   # no letter beside it: nothing to spell out
