"""Corpus files (txt, md, html, pdf) -> Document, and a whole corpus folder -> Documents.

``load_file`` raises LoadError for anything wrong with one file; ``load_corpus`` collects those
errors so that one bad file never stops the others. Non-fatal problems (broken Markdown front
matter) are returned by ``load_corpus`` as LoadErrors too, ``problem`` starting "warning:"."""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from pathlib import Path

from qa.ingestion.catalog import CATALOG_NAME, CatalogEntry, read_catalog
from qa.ingestion.characters import unligature
from qa.ingestion.formats import (
    html_blocks,
    markdown_blocks,
    split_front_matter,
    text_blocks,
)
from qa.ingestion.layout import Block, assemble, collapse
from qa.ingestion.pages import split_pages
from qa.ingestion.pdfread import largest_text, looks_like_title, read_pages
from qa.ingestion.pdftext import pdf_blocks
from qa.types import Document, LoadError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
WARNING = "warning: "
_FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
_TITLE_MAX = 200
IGNORE_NAME = ".qaignore"


def max_file_bytes() -> int:
    """The largest corpus file accepted: ``QA_MAX_FILE_MB`` megabytes (default 25)."""
    try:
        return int(float(os.environ.get("QA_MAX_FILE_MB", "25")) * 2**20)
    except ValueError:
        return 25 * 2**20


def load_file(path: Path, entry: CatalogEntry | None = None) -> Document:
    """Load and clean one corpus file; catalog ``entry`` fields win over the file's own.

    Returns the Document (text of record, spans, metadata; absent fields ""). Raises
    LoadError naming the file for: unsupported type, unreadable, empty, binary, undecodable
    text, encrypted/corrupt/text-less PDF. Broken Markdown front matter is not an error here
    (see ``load_file_with_warnings``).
    """
    return load_file_with_warnings(path, entry)[0]


def load_file_with_warnings(path: Path, entry: CatalogEntry | None = None) -> tuple[Document, list[LoadError]]:
    """Like ``load_file`` and also return the non-fatal problems found (as LoadErrors)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(str(path), f"unsupported file type {suffix or '(no extension)'!r}",
                        f"convert it to one of {', '.join(SUPPORTED_SUFFIXES)} or move it out of the corpus folder")
    try:
        size = path.stat().st_size
        if size > max_file_bytes():
            raise LoadError(str(path), f"file is {size / 2**20:.1f} MB, over the {max_file_bytes() / 2**20:g} MB limit",
                            "split it into smaller files, or raise the limit with QA_MAX_FILE_MB")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(str(path), f"cannot read the file: {exc.strerror or exc}", "check that it exists and is readable") from exc
    meta: dict[str, str] = {}
    warnings: list[LoadError] = []
    source_format = _FORMATS[suffix]
    if suffix == ".pdf":
        blocks, meta = _pdf(path, data)
    else:
        text = decode_text(path, data)
        if suffix in (".md", ".markdown"):
            blocks, meta, warnings = _markdown(path, text)
        elif suffix in (".html", ".htm"):
            blocks, meta = _html(text)
        elif entry is not None and entry.source_format == "pdf":
            blocks = pdf_blocks(split_pages(text))
            source_format = "pdf"
        else:
            blocks = text_blocks(text)
    paged = source_format == "pdf"
    layout = assemble(blocks, paged=paged)
    if not layout.text:
        raise LoadError(str(path), "empty file: no text left after cleaning", "remove it or give it some text")
    entry = entry or CatalogEntry(file=path.name)
    title = entry.title or meta.get("title", "") or _first_line(layout.text)
    document = Document(
        doc_id=entry.doc_id or slug(path.stem),
        text=layout.text,
        title=collapse(title)[:_TITLE_MAX],
        path=str(path),
        kind=entry.kind or "other",
        publisher=entry.publisher or meta.get("publisher", ""),
        date=entry.date or meta.get("date", ""),
        author=entry.author or meta.get("author", ""),
        url=entry.url or meta.get("url", ""),
        source_format=entry.source_format or source_format,
        content_hash=hashlib.sha256(data).hexdigest(),
        pages=layout.pages,
        sections=layout.sections,
        footnotes=layout.footnotes,
        links=layout.links,
        captions=layout.captions,
        primacy=entry.primacy,
    )
    return document, warnings


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[LoadError]]:
    """Load every file of ``corpus_dir`` (sorted by name) and return (documents, problems).

    Skips catalog.toml, hidden files and what ``skipped_names`` lists (notes about the folder,
    files named in ``.qaignore`` or marked ``skip = true`` in the catalog). Unsupported types, bad files and files
    whose cleaned text repeats an earlier file's come back as LoadErrors; so do warnings
    (``problem`` starts with "warning:"; that file is in the documents). Doc ids missing from
    the catalog are slugs of the file name, made unique with -2, -3. Raises LoadError only
    when the folder is missing or the catalog is invalid.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise LoadError(str(corpus_dir), "corpus folder not found", "pass the folder that holds the corpus files")
    catalog = read_catalog(corpus_dir)
    documents: list[Document] = []
    problems: list[LoadError] = []
    seen_text: dict[str, str] = {}
    used_ids = {e.doc_id for e in catalog.values() if e.doc_id}
    skipped = skipped_names(corpus_dir, catalog)
    for path in sorted(corpus_dir.iterdir(), key=lambda p: p.name):
        if path.name == CATALOG_NAME or path.name.startswith(".") or path.name in skipped:
            continue
        if not path.is_file():
            continue
        try:
            document, warnings = load_file_with_warnings(path, catalog.get(path.name))
        except LoadError as exc:
            problems.append(exc)
            continue
        problems.extend(warnings)
        if document.text in seen_text:
            problems.append(LoadError(str(path), f"duplicate: same text as {seen_text[document.text]}, skipped",
                                      "remove one of the two copies"))
            continue
        seen_text[document.text] = path.name
        if path.name not in catalog or not catalog[path.name].doc_id:
            document = _with_unique_id(document, used_ids)
        used_ids.add(document.doc_id)
        documents.append(document)
    return documents, problems


def skipped_names(corpus_dir: Path, catalog: dict[str, CatalogEntry]) -> frozenset[str]:
    """Names in ``corpus_dir`` that are not documents: notes about the folder (README*,
    SOURCES*, LICENSE*, CHANGELOG*), files matching a glob pattern of ``.qaignore`` (one a
    line, ``#`` comments) and catalog entries with ``skip = true``."""
    import fnmatch

    patterns = ["README*", "SOURCES*", "LICENSE*", "LICENCE*", "CHANGELOG*"]
    try:
        lines = (corpus_dir / IGNORE_NAME).read_text(encoding="utf-8").splitlines()
        patterns += [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError):
        pass
    names = {p.name for p in corpus_dir.iterdir()}
    found = {n for n in names for pat in patterns if fnmatch.fnmatch(n.upper(), pat.upper())}
    return frozenset(found | {name for name, entry in catalog.items() if entry.skip})


def _with_unique_id(document: Document, used: set[str]) -> Document:
    from dataclasses import replace

    base, n, doc_id = document.doc_id, 2, document.doc_id
    while doc_id in used:
        doc_id, n = f"{base}-{n}", n + 1
    return replace(document, doc_id=doc_id)


def slug(stem: str) -> str:
    """Lowercase ASCII slug of ``stem`` (letters, digits, single hyphens); "document" if
    nothing is left. Accents are transliterated (é -> e), other characters dropped."""
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return text or "document"


def decode_text(path: Path, data: bytes) -> str:
    """Decode a text file's bytes to str with "\\n" line endings, no BOM, ligatures spelt out.

    UTF-8 first, else charset-normalizer's best guess (strict decoding, nothing dropped).
    Raises LoadError for binary content, undecodable bytes, or empty/whitespace-only text.
    """
    if b"\x00" in data or _control_share(data) > 0.05:
        raise LoadError(str(path), "looks like a binary file, not text", "check the file type or extension")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _guess_decode(path, data)
    text = unligature(text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", ""))
    if not text.strip():
        raise LoadError(str(path), "empty file", "remove it or give it some text")
    return text


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample)


def _guess_decode(path: Path, data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or not best.encoding:
        raise LoadError(str(path), "text is not UTF-8 and its encoding could not be detected",
                        "re-save the file as UTF-8")
    try:
        return data.decode(best.encoding, errors="strict")
    except (UnicodeDecodeError, LookupError) as exc:
        raise LoadError(str(path), f"text could not be decoded as {best.encoding}: {exc}",
                        "re-save the file as UTF-8") from exc


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()[:_TITLE_MAX]


def _markdown(path: Path, text: str) -> tuple[list[Block], dict[str, str], list[LoadError]]:
    import yaml

    parts = split_front_matter(text)
    meta: dict[str, str] = {}
    warnings: list[LoadError] = []
    if parts.front_matter:
        try:
            data = yaml.safe_load(parts.front_matter)
            if data is not None and not isinstance(data, dict):
                raise ValueError("front matter is not a mapping of keys to values")
        except (yaml.YAMLError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            warnings.append(LoadError(str(path), f"{WARNING}broken YAML front matter ignored ({first})",
                                      "fix the block between the leading --- lines"))
            data = None
        for key, field in (("title", "title"), ("date", "date"), ("source_url", "url"),
                           ("url", "url"), ("author", "author")):
            value = (data or {}).get(key)
            if value is not None and field not in meta and str(value).strip():
                meta[field] = collapse(str(value))
    return markdown_blocks(parts.body), meta, warnings


def _html(text: str) -> tuple[list[Block], dict[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    meta = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = collapse(soup.title.get_text())
    return html_blocks(soup), meta


def _pdf(path: Path, data: bytes) -> tuple[list[Block], dict[str, str]]:
    """Read a PDF with pypdf, page by page; pypdf can raise many exception types, so
    only the pypdf calls are wrapped broadly."""
    from pypdf import PdfReader

    name = str(path)
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:  # noqa: BLE001 - pypdf has no single error base
        raise LoadError(name, f"could not read PDF: {exc}", "the file may be truncated or damaged; export it again") from exc
    if encrypted:
        try:
            unlocked = reader.decrypt("")
        except Exception:  # noqa: BLE001
            unlocked = 0
        if not unlocked:
            raise LoadError(name, "encrypted PDF", "remove the password (e.g. qpdf --decrypt) and load it again")
    try:
        pages = read_pages(reader, data)
        title = reader.metadata.title if reader.metadata else None
    except Exception as exc:  # noqa: BLE001
        if "crypt" in str(exc).lower() or "password" in str(exc).lower():
            raise LoadError(name, "encrypted PDF", "remove the password and load it again") from exc
        raise LoadError(name, f"could not read PDF: {exc}", "the file may be truncated or damaged; export it again") from exc
    if not any(line.strip() for p in pages for line in p.lines):
        raise LoadError(name, "PDF has no text layer (scanned?) — run OCR first", "e.g. ocrmypdf in.pdf out.pdf")
    title = collapse(str(title or ""))
    if not looks_like_title(title):
        title = largest_text(next(p for p in pages if any(x.strip() for x in p.lines)))
    return pdf_blocks(pages), ({"title": title} if title else {})
