"""Document-grounded extractive question answering with verbatim, offset-exact citations.

The public API (see ``qa.api`` and the README)::

    import qa
    index = qa.open_index("index")
    answer = index.ask("When did Singapore sign the Artemis Accords?")

Names are imported on first use, so ``import qa`` stays light.
"""

from qa.version import __version__

_API = {
    "Index": "qa.api", "open_index": "qa.api", "build_index": "qa.api", "search_settings": "qa.api",
    "evaluate_gold_set": "qa.api", "compare_gold_set": "qa.api", "gold_sets": "qa.api",
    "AnswerSettings": "qa.answers.answer", "SearchSettings": "qa.retrieval.retriever",
    "Answer": "qa.types", "AnswerSpan": "qa.types", "Citation": "qa.types", "Document": "qa.types",
    "Hit": "qa.types", "Match": "qa.types", "Chunk": "qa.types",
    "QAError": "qa.types", "QueryError": "qa.types", "IndexStateError": "qa.types", "LoadError": "qa.types",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
