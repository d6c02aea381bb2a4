"""Plain text, Markdown and HTML source text -> paragraph blocks (and their metadata).

Pure functions over already-decoded strings; reading files and errors live in
``qa.ingestion.loaders``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingestion.layout import CLOSE, OPEN, Block, collapse, finish_paragraph

_SENTENCE_END = re.compile(r"[.!?:;…][\"”’')\]]*$")
_LIST_START = re.compile(r"^\s*(?:[-*+•]\s+|\d{1,3}[.)]\s+)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_EMPHASIS = [
    re.compile(r"(?<![*\w])\*\*\*(?=\S)(.+?)\*\*\*(?![*\w])"),
    re.compile(r"(?<![*\w])\*\*(?=\S)(.+?)\*\*(?![*\w])"),
    re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])"),
    re.compile(r"(?<![_\w])__(?=\S)(.+?)(?<=\S)__(?![_\w])"),
    re.compile(r"(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])"),
]
_WHOLE_EMPHASIS = re.compile(r"^(\*{1,3}|_{1,2})(?=\S)(.+?)\1$", re.DOTALL)


@dataclass(frozen=True)
class MarkdownParts:
    """A Markdown file split into its front matter (raw text, "" if none) and its body."""

    front_matter: str
    body: str


def text_blocks(text: str) -> list[Block]:
    """Plain text -> blocks: blank lines separate paragraphs; inside a group of lines a
    line is joined to the previous one only when that one does not end a sentence and
    this one starts with a lowercase letter (so one-paragraph-per-line files stay apart)."""
    blocks: list[Block] = []
    for group in re.split(r"\n\s*\n", text):
        current = ""
        for line in group.split("\n"):
            line = collapse(line)
            if not line:
                continue
            if current and not _SENTENCE_END.search(current) and line[:1].islower():
                current = f"{current} {line}"
            else:
                if current:
                    blocks.append(Block(current))
                current = line
        if current:
            blocks.append(Block(current))
    return blocks


def split_front_matter(text: str) -> MarkdownParts:
    """Split a leading ``---`` ... ``---`` block off ``text``; no block -> front_matter ""."""
    match = re.match(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", text, re.DOTALL)
    if not match:
        return MarkdownParts("", text)
    return MarkdownParts(match.group(1) or "", text[match.end() :])


def markdown_blocks(body: str) -> list[Block]:
    """Markdown body -> blocks: headings (``#`` and short all-emphasis paragraphs) keep
    their text as heading blocks; links become ``Link``s on their anchor text; emphasis
    markers, escapes, list markers and hard line breaks are removed; wrapped lines reflow."""
    blocks: list[Block] = []
    for paragraph in _md_paragraphs(body):
        heading = _MD_HEADING.match(paragraph)
        level = 0
        if heading:
            level, paragraph = len(heading.group(1)), heading.group(2)
        else:
            whole = _WHOLE_EMPHASIS.match(paragraph.strip())
            if whole and len(whole.group(2).split()) < 15:
                level = 2 if len(whole.group(1)) > 1 else 3
        text, links = _md_inline(paragraph)
        if not text or re.fullmatch(r"[#*_\-=\s]+", text):
            continue
        if level:
            blocks.append(Block(text, "heading", level, text, links=links))
        else:
            blocks.append(Block(text, links=links))
    return blocks


def _md_paragraphs(body: str) -> list[str]:
    """Paragraphs of a Markdown body: split at blank lines, list items and headings."""
    out: list[str] = []
    current: list[str] = []
    for line in body.split("\n"):
        stripped = line.replace("\u00a0", " ").strip()
        starts = bool(_LIST_START.match(line) and not line.startswith("    ")) or bool(_MD_HEADING.match(stripped))
        if not stripped or starts:
            if current:
                out.append(" ".join(current))
            current = []
        if stripped:
            current.append(_LIST_START.sub("", stripped, count=1) if starts and not _MD_HEADING.match(stripped) else stripped)
            if _MD_HEADING.match(stripped):
                out.append(current.pop())
    if current:
        out.append(" ".join(current))
    return out


def _md_inline(paragraph: str) -> tuple[str, tuple]:
    raw = paragraph.replace(OPEN, "").replace(CLOSE, "")
    targets: list[str] = []

    def link(match: re.Match) -> str:
        targets.append(match.group(2))
        return f"{OPEN}{match.group(1)}{CLOSE}"

    raw = _MD_LINK.sub(link, raw)
    for pattern in _EMPHASIS:
        previous = None
        while previous != raw:
            previous, raw = raw, pattern.sub(r"\1", raw)
    raw = _MD_ESCAPE.sub(r"\1", raw)
    return finish_paragraph(raw, targets)


_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption "
    "figure footer form header hr html li main nav ol p pre section summary table tbody td tfoot th "
    "thead tr ul br".split()
)
_DROP_TAGS = frozenset("script style noscript template head iframe object embed svg canvas".split())


def html_blocks(soup) -> list[Block]:
    """A parsed BeautifulSoup tree -> blocks: block elements become paragraphs, h1-h6
    heading blocks, ``<a href>`` links; script/style/noscript/template/head are skipped."""
    from bs4 import (
        Comment,
        Declaration,
        Doctype,
        NavigableString,
        ProcessingInstruction,
    )

    blocks: list[Block] = []
    raw: list[str] = []
    targets: list[str] = []

    def flush(level: int = 0) -> None:
        text, links = finish_paragraph("".join(raw), targets)
        if text:
            kind = "heading" if level else "body"
            blocks.append(Block(text, kind, level, text if level else "", links=links))
        raw.clear()
        targets.clear()

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                raw.append(str(child).replace(OPEN, "").replace(CLOSE, ""))
                continue
            name = (child.name or "").lower()
            if name in _DROP_TAGS:
                continue
            if re.fullmatch(r"h[1-6]", name):
                flush()
                walk(child)
                flush(int(name[1]))
            elif name in _BLOCK_TAGS:
                flush()
                walk(child)
                flush()
            elif name == "a" and child.get("href"):
                raw.append(OPEN)
                targets.append(str(child.get("href")))
                walk(child)
                raw.append(CLOSE)
            else:
                walk(child)

    walk(soup)
    flush()
    return blocks
