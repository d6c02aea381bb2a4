"""The corpus catalog (``corpus/catalog.toml``): what is known about each corpus file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from qa.types import KINDS, LoadError

CATALOG_NAME = "catalog.toml"
_FIELDS = ("file", "id", "title", "publisher", "date", "kind", "author", "url", "source_format", "primacy", "skip")
DEFAULT_PRIMACY = 1
SOURCE_FORMATS = ("", "txt", "md", "html", "pdf")


@dataclass(frozen=True)
class CatalogEntry:
    """One ``[[document]]`` of the catalog; fields the source does not state are "".

    ``primacy`` orders citations (lower first: a primary source before the articles that
    quote it; default 1); ``skip`` keeps the file out of the index.
    """

    file: str
    doc_id: str = ""
    title: str = ""
    publisher: str = ""
    date: str = ""
    kind: str = ""
    author: str = ""
    url: str = ""
    source_format: str = ""
    primacy: int = DEFAULT_PRIMACY
    skip: bool = False


def read_catalog(corpus_dir: Path) -> dict[str, CatalogEntry]:
    """Read ``corpus_dir/catalog.toml`` and return its entries keyed by file name.

    A missing catalog gives {}. Raises LoadError (naming catalog.toml and the entry or
    field) for unreadable or invalid TOML, an entry that is not a table, a missing or
    repeated ``file``, a repeated ``id``, an unknown key, a non-string value, a kind not
    in ``qa.types.KINDS`` or an unknown ``source_format``.
    """
    path = Path(corpus_dir) / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(str(path), f"cannot read the catalog: {exc}", "fix or remove catalog.toml") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(str(path), f"invalid TOML: {exc}", "fix the syntax of catalog.toml") from exc
    documents = data.get("document", [])
    if not isinstance(documents, list):
        raise LoadError(str(path), "'document' must be an array of tables", "write each entry as [[document]]")
    entries: dict[str, CatalogEntry] = {}
    ids: dict[str, str] = {}
    for number, raw in enumerate(documents, start=1):
        entry = _entry(path, number, raw)
        if entry.file in entries:
            raise LoadError(str(path), f"entry {number}: file {entry.file!r} is listed twice", "keep one entry per file")
        if entry.doc_id and entry.doc_id in ids:
            raise LoadError(
                str(path),
                f"entry {number} ({entry.file}): id {entry.doc_id!r} is already used by {ids[entry.doc_id]}",
                "give every document its own id",
            )
        if entry.doc_id:
            ids[entry.doc_id] = entry.file
        entries[entry.file] = entry
    return entries


def _entry(path: Path, number: int, raw: object) -> CatalogEntry:
    """Validate one ``[[document]]`` table and return it as a CatalogEntry."""
    if not isinstance(raw, dict):
        raise LoadError(str(path), f"entry {number} is not a table", "write each entry as [[document]]")
    raw = dict(raw)
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise LoadError(str(path), f"entry {number}: unknown key(s) {', '.join(unknown)}", f"allowed keys: {', '.join(_FIELDS)}")
    primacy = raw.pop("primacy", DEFAULT_PRIMACY)
    skip = raw.pop("skip", False)
    if not isinstance(primacy, int) or isinstance(primacy, bool) or primacy < 0:
        raise LoadError(str(path), f"entry {number}: field 'primacy' must be a whole number >= 0, got {primacy!r}",
                        "write e.g. primacy = 0 for a primary source, 2 for an article quoting it")
    if not isinstance(skip, bool):
        raise LoadError(str(path), f"entry {number}: field 'skip' must be true or false, got {skip!r}",
                        "write skip = true to leave the file out of the index")
    for key, value in raw.items():
        if not isinstance(value, str):
            raise LoadError(str(path), f"entry {number}: field {key!r} must be a string, got {type(value).__name__}",
                            "quote the value (dates too: date = \"2023-12-20\")")
    file = raw.get("file", "").strip()
    if not file:
        raise LoadError(str(path), f"entry {number}: missing field 'file'", "name the corpus file the entry describes")
    kind = raw.get("kind", "").strip()
    if kind and kind not in KINDS:
        raise LoadError(str(path), f"entry {number} ({file}): unknown kind {kind!r}", f"use one of: {', '.join(KINDS)}")
    source_format = raw.get("source_format", "").strip()
    if source_format not in SOURCE_FORMATS:
        raise LoadError(str(path), f"entry {number} ({file}): unknown source_format {source_format!r}",
                        f"use one of: {', '.join(f for f in SOURCE_FORMATS if f)}")
    return CatalogEntry(
        file=file,
        doc_id=raw.get("id", "").strip(),
        title=raw.get("title", "").strip(),
        publisher=raw.get("publisher", "").strip(),
        date=raw.get("date", "").strip(),
        kind=kind,
        author=raw.get("author", "").strip(),
        url=raw.get("url", "").strip(),
        source_format=source_format,
        primacy=primacy,
        skip=skip,
    )
