"""Pure helpers for the web page: escaped HTML, highlights, word diffs, upload checks.

Everything that came from a document or a user goes through ``esc`` before it becomes HTML, so
``<script>``, ``<img onerror=...>`` and Markdown links render as text.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, urlparse

UPLOAD_TYPES = ("pdf", "txt", "md", "markdown", "html", "htm")
MAX_UPLOAD_BYTES = 20 * 2**20


# Each character that HTML or Markdown (with Streamlit's $math$ and :shortcodes:) would read as
# markup becomes one numeric character reference, in a single pass: a reference is never escaped
# again (the old two-pass version showed "The Accords&#x27;" for "The Accords'"). Newlines too:
# the markup stays on one line of one HTML block, so a blank line in a document cannot hand the
# rest to Markdown (which made "1. ..." items a spaced-out list), and no line can start a list.
_ACTIVE = re.compile(r"[&<>\"'\[\]()!*_`#~|\\$:{}\n]")
_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def esc(text: str) -> str:
    """``text`` with every HTML or Markdown active character as a character reference (escaped once)."""
    return _ACTIVE.sub(lambda m: _NAMED.get(m.group()) or f"&#{ord(m.group())};", str(text))


def md_escape(text: str) -> str:
    """``text`` with Markdown's active characters backslash-escaped, for Streamlit labels and
    messages (which render Markdown but never raw HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def highlight(text: str, spans: list[tuple[int, int, str]], base: int = 0,
              inserts: Sequence[tuple[int, str]] = ()) -> str:
    """``text`` as escaped HTML with ``<mark class=...>`` around each span.

    Spans are absolute offsets (``base`` is the offset of ``text[0]``); they may nest (a short
    answer inside its sentence) but not cross. Spans outside the text are clipped or ignored.
    ``inserts`` are (absolute offset, markup) pairs of the page's own markup (page numbers, never
    document text), put in after the marks that end there and before those that start there.
    """
    marks = sorted(((max(a - base, 0), min(b - base, len(text)), cls) for a, b, cls in spans
                    if b - base > 0 and a - base < len(text) and b > a), key=lambda s: (s[0], -s[1]))
    events = sorted([(a, 2, -b, cls) for a, b, cls in marks] + [(b, 0, -a, cls) for a, b, cls in marks]
                    + [(at - base, 1, n, markup) for n, (at, markup) in enumerate(inserts)
                       if 0 <= at - base <= len(text)])
    out, pos = [], 0
    for at, kind, _, payload in events:
        out.append(esc(text[pos:at]))
        pos = at
        out.append(f'<mark class="{esc(payload)}" id="{esc(payload)}">' if kind == 2 else
                   payload if kind == 1 else "</mark>")
    out.append(esc(text[pos:]))
    return "".join(out)


def page_marks(doc, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
    """Page-number markup at the start of each page of ``doc`` within ``[start, end)``."""
    end = len(doc.text) if end is None else end
    marks, last = [], None
    for span in doc.pages:
        if span.label and span.label != last and start <= span.start < end:
            marks.append((span.start, f'<span class="page-no">p. {esc(span.label)}</span>'))
        last = span.label or last
    return marks


def context_span(text: str, start: int, end: int, chars: int = 900) -> tuple[int, int]:
    """``[start, end)`` widened by up to ``chars`` each side, out to paragraph breaks where near."""
    lo, hi = max(start - chars, 0), min(end + chars, len(text))
    brk = text.find("\n\n", lo, start)
    lo = brk + 2 if brk != -1 and start - brk < chars else lo
    brk = text.rfind("\n\n", end, hi)
    hi = brk if brk != -1 and brk - end > 0 else hi
    return lo, hi


def reading_html(doc, start: int = 0, end: int | None = None, cited: tuple[int, int] | None = None) -> str:
    """``doc.text[start:end]`` as the reading view: escaped, page numbers shown, ``cited`` marked."""
    end = len(doc.text) if end is None else end
    spans = [(cited[0], cited[1], "cited")] if cited and 0 <= cited[0] < cited[1] <= len(doc.text) else []
    body = highlight(doc.text[start:end], spans, base=start, inserts=page_marks(doc, start, end))
    return f'<div class="reader">{"…" if start > 0 else ""}{body}{"…" if end < len(doc.text) else ""}</div>'


def diff_words(quote: str, source: str) -> tuple[str, str]:
    """(quote, source) as escaped HTML with the words that differ wrapped in ``<del>``/``<ins>``."""
    a, b = quote.split(), source.split()
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=[w.lower() for w in a], b=[w.lower() for w in b],
                                                      autojunk=False).get_opcodes():
        qa_part, src_part = esc(" ".join(a[i1:i2])), esc(" ".join(b[j1:j2]))
        if op == "equal":
            left.append(qa_part)
            right.append(src_part)
        else:
            if qa_part:
                left.append(f"<del>{qa_part}</del>")
            if src_part:
                right.append(f"<ins>{src_part}</ins>")
    return " ".join(left), " ".join(right)


def safe_url(url: str) -> str:
    """``url`` when it is an http(s) address, else "" (no javascript: or data: links)."""
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else ""


def reading_link(doc_id: str, start: int, end: int) -> str:
    """A relative link that opens the reading view of ``doc_id`` at ``[start, end)``."""
    return f"?page=Documents&doc={quote(doc_id, safe='')}&start={int(start)}&end={int(end)}"


def safe_upload_name(name: str, existing: set[str]) -> str:
    """A plain ASCII file name for an upload: no folders, no dots but the extension's, unique."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()[:80] or "document"
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())
    candidate, n = f"{stem}.{ext}" if ext else stem, 2
    while candidate in existing:
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
        n += 1
    return candidate


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """"" when the upload may be parsed, else what is wrong with it (type checked by content)."""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in UPLOAD_TYPES:
        return f"{name}: .{ext or '?'} files are not accepted (PDF, TXT, MD or HTML only)"
    if not data:
        return f"{name}: the file is empty"
    if len(data) > max_bytes:
        return f"{name}: {len(data) / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit"
    if ext == "pdf":
        return "" if data.lstrip()[:5] == b"%PDF-" else f"{name}: this is not a PDF (no %PDF- header)"
    if data.startswith(b"%PDF-"):
        return f"{name}: this is a PDF named .{ext}; rename it to .pdf"
    sample = data[:65536]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"{name}: this looks like a binary file, not text"
    return ""
