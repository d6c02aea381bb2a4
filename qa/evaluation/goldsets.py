"""The gold sets the project evaluates on, each with its questions, corpus folder and index.

``home`` asks about the home corpus (``corpus/``, indexed in ``index/``); ``real`` asks about
twelve public PDFs of the kinds users bring (``eval/corpus-real/``, copied byte for byte from
``../shared/corpus-real``; indexed once into ``eval/cache/real-index``). Both are split into a
tuning and a reporting split; the real set's splits keep whole documents apart. Paths are
relative to the repository root, where ``qa eval`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.types import QAError, SettingsError

SPLITS = ("report", "tune")


@dataclass(frozen=True)
class GoldSet:
    """One gold set: a name for tables, its questions file, the corpus they ask about, its index."""

    name: str
    title: str
    questions: Path
    corpus: Path
    index: Path


GOLD_SETS = (
    GoldSet("home", "Home corpus (5 documents)", Path("eval/questions.jsonl"), Path("corpus"), Path("index")),
    GoldSet("real", "Real documents (12 PDFs nobody tuned for)", Path("eval/real_questions.jsonl"),
            Path("eval/corpus-real"), Path("eval/cache/real-index")),
)


def gold_set(name: str) -> GoldSet:
    """The gold set called ``name``; SettingsError naming the choices otherwise."""
    for g in GOLD_SETS:
        if g.name == name:
            return g
    raise SettingsError(f"no gold set {name!r}: choose one of {', '.join(g.name for g in GOLD_SETS)}")


def rooted(g: GoldSet, root: str | Path) -> GoldSet:
    """``g`` with its relative paths taken from ``root`` (a checkout's root) instead of the
    current folder; a set without a corpus keeps none."""
    root = Path(root)
    return GoldSet(g.name, g.title, root / g.questions, root / g.corpus if g.corpus != Path("") else g.corpus,
                   root / g.index)


def custom_gold_set(questions: str | Path, corpus: str | Path | None, index: str | Path) -> GoldSet:
    """A gold set from the command line's ``--questions FILE [--corpus DIR]`` over ``index``."""
    questions = Path(questions)
    return GoldSet(questions.stem, str(questions), questions, Path(corpus) if corpus else Path(""), Path(index))


def chosen_sets(name: str) -> tuple[GoldSet, ...]:
    """The gold sets ``--set`` names: one by name, or ``all``; SettingsError naming the choices."""
    if name == "all":
        return GOLD_SETS
    try:
        return (gold_set(name),)
    except SettingsError:
        raise SettingsError(f"--set takes {', '.join(g.name for g in GOLD_SETS)} or all, got {name!r}") from None


def chosen_splits(text: str) -> tuple[str, ...]:
    """The splits of ``--split``: comma-separated tune, report or all (both together)."""
    splits = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not splits or any(s not in (*SPLITS, "all") for s in splits):
        raise SettingsError(f"--split for a gold set is tune, report or all (or a comma-separated list), got {text!r}")
    return splits


def split_questions(g: GoldSet, splits: tuple[str, ...], skip_empty: bool = False) -> dict[str, list]:
    """``{split: questions}`` of ``g`` (``all``: every question). A split without questions raises
    SettingsError naming the file, or is left out with ``skip_empty`` (at least one must remain)."""
    from qa.evaluation.gold import load_gold

    if not g.questions.is_file():
        raise QAError(f"gold set {g.name!r}: questions file {g.questions} does not exist "
                      f"(gold sets are found relative to the repository root: run qa eval there)")
    questions = load_gold(g.questions)
    out = {}
    for split in splits:
        chosen = [q for q in questions if split == "all" or q.split == split]
        if chosen:
            out[split] = chosen
        elif not skip_empty:
            raise SettingsError(f"{g.questions} has no questions in split {split!r}")
    if not out:
        raise SettingsError(f"{g.questions} has no questions in split {' or '.join(map(repr, splits))}")
    return out


def questions_in(g: GoldSet, split: str) -> list:
    """The questions of ``g`` in one split (tune, report or all); SettingsError when there are none."""
    if split not in (*SPLITS, "all"):
        raise SettingsError(f"split is tune, report or all, got {split!r}")
    return split_questions(g, (split,))[split]


def evaluate_splits(retriever, by_split: dict[str, list], progress=None, **options) -> dict:
    """``{split: EvalResult}``, every split through ``evaluate_gold`` on ``retriever``.

    ``progress(done, total)`` counts questions over all the splits; ``options`` go to
    ``evaluate_gold`` (modes, k, answers, ...).
    """
    from qa.evaluation.gold import evaluate_gold

    total, done, out = sum(len(v) for v in by_split.values()), 0, {}
    for split, questions in by_split.items():
        def step(n: int, _: int, before: int = done) -> None:
            progress(before + n, total)

        out[split] = evaluate_gold(retriever, questions, progress=step if progress else None, **options)
        done += len(questions)
    return out


def open_gold_retriever(g: GoldSet, encoder=None, progress=None):
    """A retriever over the index the questions of ``g`` are asked against (embedded back end).

    The index is (re)built first when it is missing or older than the corpus folder; a set
    without a corpus folder opens its index as it is.
    """
    from qa.answers.rerank import attach_reranker
    from qa.retrieval.backend import open_retriever
    from qa.retrieval.build import IndexSettings, index_status, ingest
    from qa.retrieval.encoder import Encoder, model_name_from_env

    if g.corpus != Path(""):
        if not g.corpus.is_dir():
            raise SettingsError(f"gold set {g.name!r}: corpus folder {g.corpus} does not exist")
        name = encoder.name if encoder is not None else model_name_from_env()
        settings = IndexSettings(model=name)
        if index_status(g.corpus, g.index, settings, name) != "fresh":
            encoder = encoder or Encoder(name)
            ingest(g.corpus, g.index, encoder, settings, progress=progress)
    return attach_reranker(open_retriever(g.index, encoder=encoder))
