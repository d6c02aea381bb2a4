"""Pure helpers for the web page: escaped HTML, highlights, word diffs, upload checks.

Everything that came from a document or a user goes through ``esc`` before it becomes HTML, so
``<script>``, ``<img onerror=...>`` and Markdown links render as text.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlparse

UPLOAD_TYPES = ("pdf", "txt", "md", "markdown", "html", "htm")
MAX_UPLOAD_BYTES = 20 * 2**20


def esc(text: str) -> str:
    """HTML-escaped text, with Markdown's active characters escaped too (as character references)."""
    out = html.escape(str(text), quote=True)
    return re.sub(r"[\[\]()!*_`#~|\\]", lambda m: f"&#{ord(m.group())};", out)


def md_escape(text: str) -> str:
    """``text`` with Markdown's active characters backslash-escaped, for Streamlit labels and
    messages (which render Markdown but never raw HTML)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", str(text))


def highlight(text: str, spans: list[tuple[int, int, str]], base: int = 0) -> str:
    """``text`` as escaped HTML with ``<mark class=...>`` around each span.

    Spans are absolute offsets (``base`` is the offset of ``text[0]``); they may nest (a short
    answer inside its sentence) but not cross. Spans outside the text are clipped or ignored.
    """
    marks = sorted(((max(a - base, 0), min(b - base, len(text)), cls) for a, b, cls in spans
                    if b - base > 0 and a - base < len(text) and b > a), key=lambda s: (s[0], -s[1]))
    events = sorted([(a, 1, -b, cls) for a, b, cls in marks] + [(b, 0, -a, cls) for a, b, cls in marks])
    out, pos = [], 0
    for at, kind, _, cls in events:
        out.append(esc(text[pos:at]))
        pos = at
        out.append(f'<mark class="{esc(cls)}" id="{esc(cls)}">' if kind else "</mark>")
    out.append(esc(text[pos:]))
    return "".join(out)


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
