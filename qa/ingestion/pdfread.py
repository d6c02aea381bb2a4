"""PDF bytes -> pages of lines with their font size and height on the page.

pypdf reads every page; its visitor functions give each text run's matrix and font size, so
a line carries the size of most of its characters and how far down the page it sits, and
superscript footnote markers (digits set smaller than the words they follow) are left out of
the text of record. A page whose words come out run together (a PDF that places glyphs
without space characters) is read again with pdfminer.six, which infers spaces from the gaps
between glyphs, and its reading is kept when it has fewer glued words.
"""

from __future__ import annotations

import builtins
import io
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from qa.ingestion.characters import unligature
from qa.ingestion.pages import LineStyle, Page
from qa.ingestion.wordlist import glued_share

_MARKER_RE = re.compile(r"^[\d,*†‡§¶–-]{1,7}$")
SUPERSCRIPT_RATIO = 0.8  # a run this much smaller than its line is a superscript
GLUED_SHARE = 0.02  # long unknown tokens per token above which a page is read again


@dataclass(frozen=True)
class _Run:
    text: str
    size: float
    y: float


def read_pages(reader, data: bytes) -> list[Page]:
    """Pages of ``reader`` (a pypdf PdfReader over ``data``) as styled lines, 1-based labels.

    Raises whatever pypdf or pdfminer raise on a damaged file (the caller wraps them).
    """
    pages: list[Page] = []
    for number, page in enumerate(reader.pages, start=1):
        height = float(page.mediabox.height) or 792.0
        runs: list[_Run] = []

        def visit(text, cm, tm, font, size, runs=runs):
            scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append(_Run(unligature(text), float(size) * scale, float(y)))

        page.extract_text(visitor_text=visit)
        current = _lines(runs, height, str(number))
        if glued_share(" ".join(current.lines)) > GLUED_SHARE:
            again = _pdfminer_page(data, number - 1, height)
            if again and glued_share(" ".join(again.lines)) < glued_share(" ".join(current.lines)):
                current = again
        pages.append(current)
    return pages


def _lines(runs: list[_Run], height: float, label: str) -> Page:
    """Cut runs at newlines into lines; drop superscript markers inside a line."""
    lines: list[str] = []
    styles: list[LineStyle] = []
    parts: list[_Run] = []

    def close() -> None:
        sized = [p for p in parts if p.text.strip() and p.y]
        main = max(sized, key=lambda p: len(p.text.strip()), default=None)
        size = main.size if main else 0.0
        kept = [p.text for j, p in enumerate(parts) if not (j and _is_marker(p, size) and "".join(
            q.text for q in parts[:j]).strip())]
        text = "".join(kept)
        if text.strip():
            lines.append(text)
            styles.append(LineStyle(round(size, 2), round(1 - main.y / height, 4) if main else -1.0))
        parts.clear()

    for run in runs:
        for i, piece in enumerate(run.text.split("\n")):
            if i:
                close()
            if piece:
                parts.append(_Run(piece, run.size, run.y))
    close()
    return Page(label, tuple(lines), tuple(styles))


def _is_marker(run: _Run, line_size: float) -> bool:
    return bool(line_size and run.size < SUPERSCRIPT_RATIO * line_size and _MARKER_RE.match(run.text.strip() or "x"))


def _pdfminer_page(data: bytes, index: int, height: float) -> Page | None:
    """Page ``index`` (0-based) read by pdfminer.six, or None when it yields no text."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine

    lines: list[str] = []
    styles: list[LineStyle] = []
    with _stable_ties():
        layouts = list(extract_pages(io.BytesIO(data), page_numbers=[index], laparams=LAParams()))
    for layout in layouts:
        boxes = [b for b in layout if isinstance(b, LTTextContainer)]
        for box in boxes:
            for line in box:
                if not isinstance(line, LTTextLine):
                    continue
                sizes = [c.size for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                size = max(set(sizes), key=sizes.count) if sizes else 0.0
                text = unligature("".join(
                    "" if (isinstance(c, LTChar) and j and c.get_text().isdigit() and c.size < SUPERSCRIPT_RATIO * size)
                    else c.get_text()
                    for j, c in enumerate(line)
                ).replace("\n", " "))
                if text.strip():
                    lines.append(text)
                    styles.append(LineStyle(round(size, 2), round(1 - line.y0 / height, 4)))
    return Page(str(index + 1), tuple(lines), tuple(styles)) if lines else None


_PDFMINER_LOCK = threading.Lock()


@contextmanager
def _stable_ties():
    """pdfminer.six with ties between equally distant text boxes broken in a fixed order.

    pdfminer's layout groups text boxes closest pair first and breaks ties by ``id()``, a memory
    address that changes from run to run, so a page with equidistant boxes (footnote fragments)
    came out in a different order each time it was read. While this is open, ``id`` inside
    ``pdfminer.layout`` numbers objects in the order pdfminer first asks about them (and keeps
    them alive, so no number is reused), which is the same on every run.
    """
    import pdfminer.layout

    seen: dict[int, tuple[int, object]] = {}

    def stable_id(obj: object) -> int:
        return seen.setdefault(builtins.id(obj), (len(seen), obj))[0]

    with _PDFMINER_LOCK:
        pdfminer.layout.id = stable_id
        try:
            yield
        finally:
            del pdfminer.layout.id


def largest_text(page: Page) -> str:
    """The first page's title as set in type: the lines of the largest font size (at least
    15% above the page's usual size) that read as words -- mostly letters, two words of three
    letters or more -- joined, up to 200 characters; "" if none."""
    sized = [(s.size, " ".join(x.split())) for x, s in zip(page.lines, page.styles) if _wordy(x)]
    if not sized:
        return ""
    sizes = sorted(s for s, _ in sized)
    usual = sizes[len(sizes) // 2]
    for size in sorted({s for s, _ in sized if s >= 1.15 * usual}, reverse=True):
        taken = [text for s, text in sized if abs(s - size) < 0.5]
        title = " ".join(taken)[:200]
        if len(re.findall(r"[A-Za-z]{3,}", title)) >= 2:
            return title
    return ""


def _wordy(text: str) -> bool:
    visible = re.sub(r"\s", "", text)
    return bool(visible) and sum(c.isalpha() for c in visible) >= 0.6 * len(visible)


_JUNK_TITLE_RE = re.compile(
    r"^(?:microsoft \w+ - |untitled|slide \d+$|presentation\d*$|document\d*$)|\.(?:docx?|odt|pptx?|rtf|pdf|tex|indd)$",
    re.IGNORECASE)


def looks_like_title(text: str) -> bool:
    """True when PDF metadata ``text`` reads as a title: two or more words with letters,
    not a file name, an application's placeholder ("Microsoft Word - x.odt", "Slide 1"), a
    code ("netdb-2011", "XXI-10 CTC") or letters doubled by overprinting ("UNITEDUNITED")."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    if len(words) < 2 or _JUNK_TITLE_RE.search(text.strip()):
        return False
    if sum(1 for w in words if len(w) >= 3 and not w.isupper()) == 0 and len(words) < 4:
        return False  # all-capital codes and abbreviations
    return not any(len(w) >= 6 and w[: len(w) // 2] == w[len(w) // 2 :] for w in words)
