"""Shared fixtures for the fast tests: a deterministic fake encoder and a few tiny documents.

The fake encoder stands in for qa.embed.Encoder: it has the same attributes and methods, counts
tokens as whitespace-separated words, and embeds a text as the unit-length hashed bag of its
lower-cased words, so texts sharing words have a positive cosine and nothing loads a model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Callable, Sequence

import numpy as np
import pytest

from qa.retrieval.encoder import EncodedPassages
from qa.types import Document, Span


def pytest_configure(config: pytest.Config) -> None:
    # Tests never reach the network: the embedding model loads from the packaged weights only.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def eval_script(name: str) -> ModuleType:
    """The experiment script ``eval/NAME.py`` loaded as a module (eval/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "eval" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_WORD = re.compile(r"\w+")


def hashed_vector(text: str, dim: int) -> np.ndarray:
    """Unit-length hashed bag of words of ``text`` (a fixed unit vector when it has no word)."""
    vec = np.zeros(dim, dtype=np.float64)
    for word in _WORD.findall(text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vec[int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] % 2 else -1.0
    norm = np.linalg.norm(vec)
    if norm == 0:
        vec[0], norm = 1.0, 1.0
    return (vec / norm).astype(np.float32)


class FakeEncoder:
    """Deterministic stand-in for qa.embed.Encoder; records every passage it encodes."""

    def __init__(self, name: str = "fake/hashed-bow", dim: int = 64, max_tokens: int = 40) -> None:
        self.name = name
        self.dim = dim
        self.max_tokens = max_tokens
        self.encoded: list[str] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([hashed_vector(t, self.dim) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> EncodedPassages:
        self.encoded.extend(texts)
        passages = self.encode_queries(texts)
        sentences = [
            np.stack([hashed_vector(text[a:b], self.dim) for a, b in spans]) if spans
            else np.zeros((0, self.dim), np.float32)
            for text, spans in zip(texts, sentence_spans)
        ]
        if progress:
            progress(len(texts))
        return EncodedPassages(passages=passages, sentences=sentences)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


def make_document(doc_id: str, paragraphs: list[tuple[str, str]], kind: str = "other", pages: int = 1,
                  primacy: int = 1) -> Document:
    """A Document whose sections are ``(label, text)`` paragraphs joined by blank lines.

    The text is cut into ``pages`` pages of about equal length.
    """
    text, sections = "", []
    for label, para in paragraphs:
        if text:
            text += "\n\n"
        start = len(text)
        text += para
        sections.append(Span(start, len(text), label))
    # Sections tile the text: each one runs to the start of the next.
    sections = [Span(s.start if i else 0, sections[i + 1].start if i + 1 < len(sections) else len(text), s.label)
                for i, s in enumerate(sections)]
    cuts = [round(len(text) * p / pages) for p in range(pages + 1)]
    page_spans = tuple(Span(cuts[p], cuts[p + 1], str(p + 1)) for p in range(pages))
    return Document(doc_id=doc_id, text=text, title=doc_id.replace("-", " ").title(), path=f"{doc_id}.txt",
                    kind=kind, primacy=primacy, content_hash=hashlib.sha256(text.encode()).hexdigest(),
                    pages=page_spans, sections=tuple(sections))


FRAMEWORK = make_document("framework", [
    ("Introduction", "The Strategic Framework for Space Diplomacy guides the Department of State. "
                     "It sets out how the U.S. works with allies and partners on space policy."),
    ("Lines of effort", "The first line of effort promotes U.S. space policy abroad. The second line of effort "
                        "uses space to support foreign policy goals. The third line of effort builds the "
                        "workforce of space diplomats through training and exchanges."),
], kind="framework", pages=2, primacy=0)

FACT_SHEET = make_document("fact-sheet", [
    ("Artemis Accords", "The Artemis Accords now have many signatories. Signatories commit to the safe and "
                        "transparent exploration of the Moon and Mars."),
    ("Anti-satellite tests", "The United States committed not to conduct destructive direct-ascent ASAT "
                             "missile tests. Other nations joined the commitment."),
], kind="fact sheet")

ARTICLE = make_document("article", [
    ("", "The space economy reached $469 billion in 2021. Commercial launch providers grew quickly, "
         "and satellite broadband reached remote regions."),
    ("Export controls", "The MTCR limits the spread of missiles and launch technology. Export controls "
                        "shape how partners share space technology under E.O. 13873."),
], kind="article", primacy=2)


@pytest.fixture
def tiny_documents() -> list[Document]:
    return [FRAMEWORK, FACT_SHEET, ARTICLE]


# Session fixtures over the real corpus with the real model (slow tests): `encoder`, `real_index`.
from real_corpus import encoder, real_index  # noqa: E402,F401
