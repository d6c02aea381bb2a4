"""The Python API: open or build an index, then search, ask, cite and evaluate.

    import qa
    index = qa.open_index("index")              # or qa.build_index("corpus", "index")
    index.search("Artemis Accords", k=3)        # -> [Hit, ...]
    index.ask("When did Singapore sign the Artemis Accords?")   # -> Answer
    index.ask(["question one", "question two"])                 # -> [Answer, ...], one model load
    index.cite("inherent necessary tension")    # -> [Match, ...]
    index.evaluate("eval/questions.jsonl")      # -> EvalResult
    qa.evaluate_gold_set("real", split="report", progress=print)   # a named gold set -> EvalResult
    qa.compare_gold_set("home")                 # bm25 / dense / hybrid, significance -> Comparison

The command line (``qa``) and the Streamlit page are built on this module. Heavy libraries (the
embedding model above all) load on first use, so opening an index is quick.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from qa.answers.answer import AnswerSettings, answer_question
from qa.answers.quotes import QuoteFinder
from qa.answers.rerank import ensure_reranker
from qa.parallel import map_in_threads
from qa.retrieval.backend import BackendChoice, choose_backend, open_retriever
from qa.retrieval.retriever import MODES, Retriever, SearchSettings
from qa.types import Answer, Document, Hit, Match, QAError, SettingsError

Progress = Callable[[str, int, int], None]


class Index:
    """An opened index: the documents, the passages and everything needed to answer from them."""

    def __init__(self, retriever: Retriever, path: Path | None = None) -> None:
        """``retriever`` is either back end (a Retriever or a MilvusRetriever); it can search in mode
        "rerank" (a reranker is attached unless it has one)."""
        self.retriever = ensure_reranker(retriever)
        self.path = path
        self._finder: QuoteFinder | None = None

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path = "index", model: str | None = None, encoder=None,
             backend: BackendChoice | str | None = None) -> "Index":
        """Open a built index; raises IndexStateError (with the fix) when it is missing or stale.

        ``model`` must be the model the index was built with (checked); ``encoder`` is an already
        loaded query encoder to reuse, e.g. one shared between indexes. ``backend`` is "embedded",
        "milvus" (URI from QA_MILVUS_URI, else ``<path>/milvus.db``) or a BackendChoice; by
        default QA_BACKEND's, else embedded.
        """
        path = Path(path)
        choice = backend if isinstance(backend, BackendChoice) else choose_backend(path, backend)
        retriever = open_retriever(path, choice, encoder=encoder)
        built_with = retriever.manifest["model"]["name"]
        if model and model != built_with:
            raise QAError(f"the index was built with model {built_with!r}, not {model!r}: "
                          f"run `qa ingest --model {model}`")
        return cls(retriever, path)

    @classmethod
    def build(cls, corpus: str | Path, path: str | Path = "index", model: str | None = None,
              encoder=None, progress: Progress | None = None, if_stale: bool = False,
              backend: BackendChoice | str | None = None) -> "Index":
        """(Re)build the index of the folder ``corpus`` at ``path`` and open it.

        Bad files are skipped (see ``last_report.errors``); only a corpus with no readable document
        raises. Unchanged passages keep their vectors. ``if_stale`` skips an up-to-date index.
        """
        from qa.retrieval.build import IndexSettings, index_status, ingest
        from qa.retrieval.encoder import Encoder, model_name_from_env

        corpus, path = Path(corpus), Path(path)
        name = model or (encoder.name if encoder is not None else model_name_from_env())
        settings = IndexSettings(model=name)
        choice = backend if isinstance(backend, BackendChoice) else choose_backend(path, backend)
        report = None
        if choice.name == "milvus":
            from qa.retrieval.milvus_ingest import ingest_milvus, milvus_status

            if not (if_stale and milvus_status(corpus, path, settings, name, choice.milvus) == "fresh"):
                encoder = encoder or Encoder(name)
                report = ingest_milvus(corpus, path, encoder, choice.milvus, settings, progress=progress)
        elif not (if_stale and index_status(corpus, path, settings, name) == "fresh"):
            report = ingest(corpus, path, encoder or Encoder(name), settings, progress=progress)
        index = cls.open(path, encoder=encoder, backend=choice)
        index.last_report = report
        return index

    # --- what is in it -------------------------------------------------------------------------

    @property
    def documents(self) -> dict[str, Document]:
        """The documents by id, each with its cleaned text of record."""
        return self.retriever.documents

    @property
    def manifest(self) -> dict:
        return self.retriever.manifest

    @property
    def finder(self) -> QuoteFinder:
        if self._finder is None:
            self._finder = QuoteFinder(self.retriever)
        return self._finder

    # --- the four jobs -----------------------------------------------------------------------

    def search(self, query: str, k: int = 10, mode: str = "hybrid", docs: Sequence[str] = (),
               kinds: Sequence[str] = (), settings: SearchSettings | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query`` (bm25, dense or hybrid), optionally filtered."""
        return self.retriever.search(query, settings or search_settings(k=k, mode=mode, docs=docs, kinds=kinds))

    def ask(self, question: str | Iterable[str], k: int = 5, mode: str = "hybrid", docs: Sequence[str] = (),
            kinds: Sequence[str] = (), settings: SearchSettings | None = None,
            answer_settings: AnswerSettings | None = None,
            progress: Callable[[int, int], None] | None = None) -> Answer | list[Answer]:
        """A cited, verbatim answer (or an abstention) to one question, or a list for many.

        Many questions are encoded in one batch; a bad question in a list raises QueryError naming
        its position.
        """
        search = settings or search_settings(k=max(k, (answer_settings or AnswerSettings()).passages),
                                             mode=mode, docs=docs, kinds=kinds)
        answering = answer_settings or AnswerSettings()
        if isinstance(question, str):
            return answer_question(self.retriever, self.finder, question, search, answering)
        return self.ask_many(list(question), search, answering, progress)

    def ask_many(self, questions: list[str], search: SearchSettings | None = None,
                 answering: AnswerSettings | None = None,
                 progress: Callable[[int, int], None] | None = None, workers: int = 1) -> list[Answer]:
        """Answers to ``questions`` in order, their queries encoded in one batch.

        ``workers`` > 1 answers that many questions side by side in threads (the models run with
        the GIL released), after the first alone (it loads them); the answers are those of one by
        one. It pays where each ONNX Runtime session has one thread (``QA_ONNX_THREADS=1``, which
        ``qa ask --questions`` sets): two questions on two cores, not one question on two. The
        Milvus back end answers one by one.
        """
        search = search or search_settings(k=5)
        answering = answering or AnswerSettings()
        if workers < 1:
            raise SettingsError(f"workers must be at least 1, got {workers}")
        cleaned = _cleaned(questions, "question")
        vectors = self.retriever.encode_many(cleaned) if cleaned else []
        return map_in_threads(lambda qv: answer_question(self.retriever, self.finder, qv[0], search, answering,
                                                         query_vector=qv[1]),
                              list(zip(cleaned, vectors)), workers if isinstance(self.retriever, Retriever) else 1,
                              progress)

    def search_many(self, queries: list[str], settings: SearchSettings | None = None) -> list[list[Hit]]:
        """The hits of each query in order, the queries encoded in one batch (dense and hybrid)."""
        settings = settings or search_settings()
        cleaned = _cleaned(queries, "query")
        vectors = (self.retriever.encode_many(cleaned) if cleaned and settings.mode != "bm25"
                   else [None] * len(cleaned))
        return [self.retriever.search(q, settings, query_vector=v) for q, v in zip(cleaned, vectors)]

    def cite(self, quote: str, limit: int = 20) -> list[Match]:
        """Every place ``quote`` appears in the documents, exact matches first, then near ones."""
        return self.finder.find(quote, limit=limit)

    def evaluate(self, questions: str | Path = "eval/questions.jsonl", split: str = "report",
                 modes: Sequence[str] = MODES, k: int = 10, answers: bool = True,
                 progress: Callable[[int, int], None] | None = None):
        """Retrieval and answer metrics of a gold JSONL file's questions over this index.

        ``split``: tune, report or all; ``progress(done, total)`` after each question. Returns an
        EvalResult (``summary`` as ``qa eval --json`` prints one split, per-question ``rows``,
        recall ``curves``, ``reliability`` bins). Raises QAError for a missing or bad file,
        SettingsError for an unknown split or mode, or a split without questions.
        """
        from qa.evaluation.gold import evaluate_gold
        from qa.evaluation.goldsets import custom_gold_set, questions_in

        chosen = questions_in(custom_gold_set(questions, None, self.path or ""), split)
        return evaluate_gold(self.retriever, chosen, modes=_modes(modes), k=k, answers=answers, progress=progress)


def _modes(modes: Sequence[str]) -> tuple[str, ...]:
    from qa.types import SettingsError

    modes = tuple(modes)
    if not modes or any(m not in MODES for m in modes):
        raise SettingsError(f"modes are {', '.join(MODES)} (any of them), got {list(modes)!r}")
    return modes


def gold_sets() -> list[tuple[str, str]]:
    """The named gold sets ``evaluate_gold_set`` takes: ``[(name, title), ...]``, home first."""
    from qa.evaluation.goldsets import GOLD_SETS

    return [(g.name, g.title) for g in GOLD_SETS]


def evaluate_gold_set(name: str = "home", split: str = "report", modes: Sequence[str] = MODES,
                      k: int = 10, progress: Callable[[int, int], None] | None = None, index: Index | None = None,
                      encoder=None, root: str | Path = ".", answers: bool = True, answer_settings=None):
    """Evaluate the gold set called ``name`` ("home" or "real") on ``split`` (tune, report or all).

    "home" runs over ``index`` when given (e.g. the index a page has open), else over
    ``root``/index (built from ``root``/corpus when missing or stale); "real" over its own index,
    ``root``/eval/cache/real-index, built from eval/corpus-real when missing or stale (minutes, the
    first time). ``encoder``: a loaded query encoder to share (by default ``index``'s).
    ``progress(done, total)`` is called after each question; ``answers=False`` measures retrieval
    only; ``answer_settings`` (an AnswerSettings) chooses the answer stage, the reader by default.
    Returns an EvalResult; raises SettingsError for an unknown set, split or mode, QAError for a missing gold file or corpus.
    """
    from qa.evaluation.gold import evaluate_gold

    modes = _modes(modes)
    retriever, chosen = _gold_set_questions(name, split, index, encoder, root)
    return evaluate_gold(retriever, chosen, modes=modes, k=k, answers=answers, progress=progress,
                         answer_settings=answer_settings)


def compare_gold_set(name: str = "home", split: str = "report", modes: Sequence[str] = MODES,
                     hybrids: Sequence[str] = (), baseline: str | None = None, metrics: Sequence[str] | None = None,
                     index: Index | None = None, encoder=None, root: str | Path = ".", alpha: float = 0.05,
                     permutations: int = 10_000, seed: int = 42, progress: Progress | None = None):
    """Compare retrieval runs on the gold set called ``name``: each mode, and each ``hybrids``
    fusion setting ("rrf:60", "convex:0.3"), 100 passages deep, judged by overlap with the evidence.

    Per metric (default nDCG@10, recall@100, MRR@10, MAP): means, wins / ties / losses against
    ``baseline`` (default: the first run) and paired t-test and randomisation-test p-values,
    Holm-corrected (qa.evaluation.compare). The set, split, ``index``, ``encoder`` and ``root``
    are taken as ``evaluate_gold_set`` takes them. Returns a Comparison; raises SettingsError for
    an unknown set, split, mode, setting, metric or baseline, QAError for a missing gold file.
    """
    from qa.evaluation.compare import compare_runs
    from qa.evaluation.metrics import DEFAULT_METRICS
    from qa.evaluation.runs import gold_runs, run_settings

    settings = run_settings(_modes(modes), hybrids)
    retriever, chosen = _gold_set_questions(name, split, index, encoder, root)
    runs, qrels = gold_runs(retriever, chosen, settings, progress=progress)
    return compare_runs(runs, qrels, metrics or DEFAULT_METRICS, baseline=baseline, alpha=alpha,
                        permutations=permutations, seed=seed)


def _gold_set_questions(name: str, split: str, index: Index | None, encoder, root: str | Path):
    """(the retriever the gold set ``name`` is asked against, its questions in ``split``)."""
    from qa.evaluation.goldsets import gold_set, open_gold_retriever, questions_in, rooted

    g = rooted(gold_set(name), root)
    chosen = questions_in(g, split)
    if name == "home" and index is not None:
        return index.retriever, chosen
    shared = encoder or (getattr(index.retriever, "encoder", None) if index is not None else None)
    return open_gold_retriever(g, encoder=shared), chosen


def _cleaned(texts: Iterable[str], what: str) -> list[str]:
    """Each text cleaned as a query; QueryError naming the position ("question 3: ...") otherwise."""
    from qa.retrieval.retriever import clean_query
    from qa.types import QueryError

    cleaned = []
    for n, text in enumerate(texts, start=1):
        try:
            cleaned.append(clean_query(text))
        except QueryError as exc:
            raise QueryError(f"{what} {n}: {exc}") from exc
    return cleaned


def search_settings(k: int = 10, mode: str = "hybrid", docs: Sequence[str] = (), kinds: Sequence[str] = (),
                    **fusion) -> SearchSettings:
    """Search settings with the tuned fusion defaults; ``fusion`` overrides fusion, rrf_k, dense_weight,
    normalisation, fill_scores and sentence_weight (None keeps the default)."""
    base = SearchSettings(mode=mode, k=k, depth=max(100, k), doc_ids=tuple(docs), kinds=tuple(kinds))
    given = {key: value for key, value in fusion.items() if value is not None}
    return replace(base, **given) if given else base


def open_index(path: str | Path = "index", model: str | None = None, encoder=None, backend=None) -> Index:
    """Open a built index (see ``Index.open``)."""
    return Index.open(path, model=model, encoder=encoder, backend=backend)


def build_index(corpus: str | Path, path: str | Path = "index", model: str | None = None, encoder=None,
                progress: Progress | None = None, if_stale: bool = False, backend=None) -> Index:
    """Build (or refresh) the index of a folder of documents and open it (see ``Index.build``)."""
    return Index.build(corpus, path, model=model, encoder=encoder, progress=progress, if_stale=if_stale,
                       backend=backend)
