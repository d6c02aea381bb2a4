"""Cleaning of PDF-extracted text, checked on the real framework text in corpus/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.ingestion import cleaning
from qa.ingestion.catalog import read_catalog
from qa.ingestion.layout import Block, assemble, tiling_problem
from qa.ingestion.loaders import load_file
from qa.ingestion.pages import Page, split_pages
from qa.ingestion.pdftext import pdf_blocks

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
FRAMEWORK = CORPUS / "strategic-framework-space-diplomacy.txt"
SENTENCE_469 = "One recent NGO estimate puts the value of the global space economy at $469 billion in 2021."


@pytest.fixture(scope="module")
def framework():
    return load_file(FRAMEWORK, read_catalog(CORPUS)[FRAMEWORK.name])


def paragraph_at(doc, offset):
    start = doc.text.rfind("\n\n", 0, offset) + 2 if "\n\n" in doc.text[:offset] else 0
    end = doc.text.find("\n\n", offset)
    return doc.text[start : end if end != -1 else len(doc.text)]


def test_footers_banners_and_tracking_urls_are_gone(framework):
    assert not re.search(r"Page \d+ of 37", framework.text)
    assert "UNCLASSIF" not in framework.text
    assert "safelinks" not in framework.text
    assert "https://" not in framework.text


def test_469_sentence_is_one_line_on_page_5(framework):
    i = framework.text.index(SENTENCE_469)
    assert "\n" not in framework.text[i : i + len(SENTENCE_469)]
    # The file starts with a page-start marker and has 8 of them before "Page 10 of 37";
    # counting back from page 10, the marker " understanding of migration ..." opens page 5.
    assert framework.page_at(i) == 5
    assert framework.section_at(i) == "I. Executive Summary"


def test_text_after_page_20_footer_is_page_21(framework):
    i = framework.text.index("Our Diplomacy for Space efforts will promote")
    assert framework.page_at(i) == 21
    j = framework.text.index("in order to maintain U.S. leadership in safe and responsible space activities")
    j += len("in order to maintain U.S. leadership in ")
    assert framework.page_at(j) == 21
    assert framework.page_at(j - 5) == 20  # the sentence runs on over the page break


def test_pages_after_last_footer_are_unknown_when_markers_do_not_add_up(framework):
    # Six page-start markers follow "Page 31 of 37": that would reach page 38, so only the
    # text right after the footer (page 32) is known.
    assert framework.page_at(framework.text.index("6. Improve information sharing")) == 32
    assert framework.page_at(framework.text.index("VI. Conclusion")) is None


def test_footnote_1_is_a_footnote_span_outside_the_body(framework):
    note = next(s for s in framework.footnotes if s.label == "1")
    assert framework.text[note.start : note.end].startswith("1 Space Foundation Releases the Space Report")
    assert framework.section_at(note.start) == "Footnotes > 1"
    body = paragraph_at(framework, framework.text.index(SENTENCE_469))
    assert "Space Foundation Releases" not in body
    assert framework.page_at(note.start) == 5


def test_body_sentence_interrupted_by_footnote_block_runs_on(framework):
    assert "Future cooperation with strategic competitors will depend on these countries’ adherence" in framework.text
    assert "recovery and use of outer space resources, lunar operations, and other novel space activities" in framework.text
    labels = {s.label for s in framework.footnotes}
    assert {str(n) for n in range(1, 11)} <= labels


def test_section_labels(framework):
    def section(snippet):
        return framework.section_at(framework.text.index(snippet))

    assert section("Facilitate increased international cooperation") == (
        "V. Goals and Objectives > Pillar 1 > Diplomacy for Space Goal 1"
    )
    assert section("Ensure Technology Transfer mechanisms") == (
        "V. Goals and Objectives > Pillar 1 > Diplomacy for Space Goal 3 – Cross-Cutting Priorities"
        " > 3.3 Non-Proliferation, Technology Transfer, and Export Controls"
    )
    assert section("Use satellite imagery to build U.S. credibility") == (
        "V. Goals and Objectives > Pillar 2 > Space for Diplomacy Goal 1"
    )
    assert section("The Department’s analysis of broad geopolitical") == "IV. Key Factors for the Department > Our Strengths"
    # headings stay in the text as their own paragraphs
    assert "\n\nV. Goals and Objectives\n\n" in framework.text
    assert "\n\nDiplomacy for Space Goal 1\n\n" in framework.text


def test_layout_rules(framework):
    assert tiling_problem(framework.pages, len(framework.text)) == ""
    assert tiling_problem(framework.sections, len(framework.text)) == ""
    assert framework.text == framework.text.strip()
    assert "\n\n\n" not in framework.text and "  " not in framework.text
    assert all(p.strip() == p and p and "\n" not in p for p in framework.text.split("\n\n"))
    assert "\n\n2. Utilize the Artemis Accords" in framework.text  # numbered items start paragraphs
    assert "\n\n• Space for Diplomacy:" in framework.text


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("the communi-", "cation of data", "the communication of data"),  # bare suffix
        ("with space-", "based assets", "with space-based assets"),  # both parts are words: a compound
        ("its long-", "term goals", "its long-term goals"),
        ("inter-", "national rules", "international rules"),  # the joined word is in the word list
        ("geo-", "stationary orbit", "geo-stationary orbit"),  # no evidence either way: keep the hyphen
        ("ac-", "cidently hit", "accidently hit"),  # neither part is a word: fragments of one word
        ("Aki-", "yama said", "Akiyama said"),
        ("effec -", "tiveness", "effectiveness"),  # a space before the hyphen
        ("a non-", "governmental body", "a non-governmental body"),
        ("USG-", "provided systems", "USG-provided systems"),  # an acronym before the hyphen
        ("post-", "International", "post-International"),  # next line capitalised
        ("compe-", "tition grows", "competition grows"),  # joined word is in the vocabulary
        # inflected forms (the word list has only "launcher", "overlap", "study"; the document "paraphrase")
        ("including micro-", "launchers and", "including micro-launchers and"),  # EU space strategy p. 8
        ("it over-", "laps with", "it overlaps with"),
        ("recent stud-", "ies show", "recent studies show"),
        ("and para-", "phrasing, the", "and paraphrasing, the"),  # DocChat p. 1
        ("activate to de-", "escalate tensions", "activate to de-escalate tensions"),  # "ee": EU strategy p. 17
    ],
)
def test_hyphen_rejoin(left, right, joined):
    vocabulary = frozenset({"competition", "paraphrase"})
    assert cleaning.join_lines(left, right, vocabulary) == joined


def test_inflected_forms_are_words_of_the_list_but_a_name_plus_ed_is_none():
    from qa.ingestion.wordlist import base_forms, is_word

    assert base_forms("stopped") == ["stopp", "stop", "stoppe"] and base_forms("glass") == []
    assert all(is_word(w) for w in ("launchers", "studies", "launched", "making", "running"))
    assert not any(is_word(w) for w in ("ments", "ings", "sauvanted"))
    vocabulary = frozenset({"sauvant", "safeguard"})
    assert cleaning.rejoin_split_words("(Karl P. Sauvant ed., 2011)", vocabulary) == "(Karl P. Sauvant ed., 2011)"
    assert cleaning.rejoin_split_words("for safegu arding the", vocabulary) == "for safeguarding the"


def test_a_ligature_left_as_u_fffd_becomes_the_one_that_makes_a_word():
    from qa.ingestion.wordlist import restore_ligatures

    lines = ["na\ufffdonal interven\ufffdons", "se\ufffdng ac\ufffdvi\ufffdes", "3 \ufffd 4", "the zq\ufffdxw"]
    # "tt" where "ti" is no word; a word of no ligature takes the document's usual one ("ti")
    assert restore_ligatures(lines) == ["national interventions", "setting activities", "3 \ufffd 4", "the zqtixw"]
    assert restore_ligatures(["zq\ufffdxw"]) == ["zq\ufffdxw"]   # nothing to go by: it stays
    assert restore_ligatures(["Gr\ufffdgor"], frozenset({"grfigor"})) == ["Grfigor"]   # the document's words count
    assert restore_ligatures(["plain text"]) == ["plain text"]


@pytest.mark.parametrize(("line", "joined"), [
    ("building measures: t hose dealing with", "building measures: those dealing with"),  # UN A/68/189 p. 12
    ("In 2025, France h olds the largest", "In 2025, France holds the largest"),
    ("cannot directly r each a firm", "cannot directly reach a firm"),
    ("the origin s and roots", "the origins and roots"),  # the lone letter ends the word before it
    ("eV SX l and D", "eV SX l and D"),  # a variable in a formula: no lower-case word before it
    ("Each S and Q", "Each S and Q"),
    ("a paragraph p as a sequence", "a paragraph p as a sequence"),  # a word of two letters after it
])
def test_a_lone_small_letter_cut_from_its_word_joins_it_in_prose(line, joined):
    assert cleaning.rejoin_split_words(line, frozenset()) == joined


def test_hyphen_form_used_elsewhere_wins():
    assert cleaning.join_lines("a cost-", "ly plan", frozenset({"cost-ly"})) == "a cost-ly plan"


def test_real_hyphenated_compounds_survive(framework):
    for word in ("long-term", "rules-based", "non-governmental", "cross-government", "USG-provided", "capacity-building"):
        assert word in framework.text


def test_split_pages_counts_between_footers():
    raw = "intro\n Page two starts\nmore\nPage 3 of 5\nUNCLASSIFIED\nfour\n five here\nPage 5 of 5\n"
    pages = split_pages(raw)
    assert [p.label for p in pages] == ["2", "3", "4", "5"]
    assert all("Page" not in line for p in pages for line in p.lines if "of 5" in line)


def test_split_pages_inconsistent_markers_give_unknown():
    raw = "a\nPage 2 of 9\nb\n c\n d\n e\nPage 4 of 9\nf\n"
    assert [p.label for p in split_pages(raw)] == ["2", "3", "", "", "4", "5"]


def test_split_pages_without_footer_is_unknown():
    assert [p.label for p in split_pages("one\n two\n")] == ["", ""]


def test_split_pages_never_below_page_1():
    raw = " a\n b\n c\nPage 2 of 3\n"
    assert [p.label for p in split_pages(raw)] == ["", "", "2"]


def test_pdf_blocks_with_known_pages_and_footnote():
    pages = [
        Page("1", ("Intro text that mentions a figure of 12 units in 2021.1 The next", "Page 1 of 2",
                   "1 Source of the figure, a long footnote line that is printed in small type here.")),
        Page("2", ("line continues on the second page. Done.",)),
    ]
    layout = assemble(pdf_blocks(pages), paged=True)
    # the reference mark of footnote 1, moved to the page's end, leaves the body (not "12")
    assert layout.text.startswith("Intro text that mentions a figure of 12 units in 2021. The next line continues")
    assert layout.text.endswith("1 Source of the figure, a long footnote line that is printed in small type here.")
    assert [s.label for s in layout.pages] == ["1", "2", "1"]
    assert layout.footnotes[0].label == "1"


def test_assemble_tiles_and_merges():
    blocks = [Block("Title", "heading", 1, "Title", ((0, "1"),)), Block("Body", pages=((0, "1"),)),
              Block("Next", pages=((0, "2"),))]
    layout = assemble(blocks, paged=True)
    assert layout.text == "Title\n\nBody\n\nNext"
    assert [(s.start, s.end, s.label) for s in layout.pages] == [(0, 13, "1"), (13, 17, "2")]
    assert [(s.start, s.end, s.label) for s in layout.sections] == [(0, 17, "Title")]


def test_tiling_problem_reports_gaps():
    from qa.types import Span

    assert tiling_problem((Span(0, 3, ""), Span(4, 6, "")), 6).startswith("gap")
    assert tiling_problem((Span(0, 3, ""),), 5).startswith("last span")


def test_full_line_ending_in_an_abbreviation_runs_on(framework):
    # "... that will allow U.S." fills its line; the next line starts in lowercase.
    assert "technologies that will allow U.S. commercial launch operations from an MTCR Partner" in framework.text


def test_heading_levels_nest_by_style_in_order_of_appearance():
    levels = cleaning.HeadingLevels()
    assert [levels.level(s) for s in ("roman", "keyword:pillar", "keyword:goal", "decimal:1", "keyword:pillar",
                                      "roman")] == [1, 2, 3, 4, 2, 1]
    assert cleaning.heading("Chapter 2: Launch Safety") == ("keyword:chapter", "Chapter 2")
    assert cleaning.heading("Annex 3 – Definitions") == ("keyword:annex", "Annex 3 – Definitions")
    assert cleaning.heading("Under Article 5 the parties agree.") is None
    assert cleaning.heading("4.1.4. Space Domain Awareness") == ("decimal:2", "4.1.4. Space Domain Awareness")
    assert cleaning.heading("2.2. The Commission will act.") is None


def test_ligatures_are_spelt_out_in_every_text_format(tmp_path):
    from qa.ingestion.characters import unligature

    assert unligature("The reader was \ufb01ne-tuned on the \ufb02ow of e\ufb00ective, e\ufb03cient "
                               "ba\ufb04ing \ufb06eps") == \
        "The reader was fine-tuned on the flow of effective, efficient baffling steps"
    assert unligature("no ligature: ﬀ is U+FB00") == "no ligature: ff is U+FB00"
    for name, body in (("notes.txt", "We \ufb01ne-tuned it.\n\nThe \ufb02ow was e\ufb00ective."),
                       ("notes.md", "# Notes\n\nWe \ufb01ne-tuned it. The \ufb02ow was e\ufb00ective."),
                       ("notes.html", "<html><body><p>We \ufb01ne-tuned it. The \ufb02ow was e\ufb00ective.</p></body></html>")):
        (tmp_path / name).write_text(body, encoding="utf-8")
        text = load_file(tmp_path / name).text
        assert "fine-tuned" in text and "flow was effective" in text, (name, text)
        assert not re.search("[\ufb00-\ufb06]", text)


def test_private_use_bullets_read_as_bullets_and_start_list_items(tmp_path):
    """Symbol and Wingdings bullets come out of PDFs as private-use characters (the EU strategy's
    "Way forward \uf0d8 The High Representative"); they read as "•", so the line is a list item."""
    from qa.ingestion.characters import unligature

    assert unligature("\uf0d8 By the end of 2023, \uf0b7 and \uf0a7") == "• By the end of 2023, • and •"
    assert unligature("\uf06c = 2") == "\uf06c = 2"   # the Symbol font's lambda stays what it was
    assert cleaning.is_list_item(unligature("\uf0d8 By the end of 2023, the Commission"))
    (tmp_path / "plan.txt").write_text("Way forward\n\n\uf0fc The Commission will act.", encoding="utf-8")
    assert "• The Commission will act." in load_file(tmp_path / "plan.txt").text


@pytest.mark.parametrize("line, dropped", [
    ("the global space economy at $469 billion in 2021.1 The U.S.", "the global space economy at $469 billion in 2021. The U.S."),
    ("Space Policy Directives5, other", "Space Policy Directives, other"),
    ("diplomatic spheres.\u201d7", "diplomatic spheres.\u201d"),
    ("peaceful cooperation.10 By signing", "peaceful cooperation. By signing"),   # 10, not 1 then "0"
    ("economic security.8", "economic security."),                            # the next sentence on the next line
    ("the Alien Tort Claims Act,10 the", "the Alien Tort Claims Act, the"),    # after the comma (the Duke law review)
    ("pages 1,10 and", "pages 1,10 and"),                                      # a list of numbers stays
    # decimals, section numbers, names with digits and numbers in the text stay
    ("Objectives 1.4 (\u201dLead", "Objectives 1.4 (\u201dLead"),
    ("3.1 Commercial Space Diplomacy:", "3.1 Commercial Space Diplomacy:"),
    ("grew 5.1 percent", "grew 5.1 percent"),
    ("the G7, the", "the G7, the"),
    ("COVID19 cases", "COVID19 cases"),
    ("Policy 2 articulates", "Policy 2 articulates"),
    ("article 10 of the Treaty", "article 10 of the Treaty"),
    ("Directives3, other", "Directives3, other"),                             # 3 is not a footnote moved out
])
def test_reference_marks_of_moved_footnotes_leave_the_body(line, dropped):
    assert cleaning.drop_note_marks(line, {1, 2, 5, 7, 8, 10, 19}) == dropped
    assert cleaning.drop_note_marks(line, set()) == line
