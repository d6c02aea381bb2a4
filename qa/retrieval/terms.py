"""Document frequencies of BM25 terms and the idf weights the answer step gives query terms.

The answer step weighs a query term by ``log(1 + (N - df + 0.5) / (df + 0.5))`` (always positive,
unlike BM25's own idf); a term no passage holds gets the weight of the rarest known term. Both
back ends feed these functions: the embedded one from its BM25 postings, the Milvus one from a
table of document frequencies kept beside the text of record and updated on every ingest.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping


def answer_idf(df: int, n: int) -> float:
    """``log1p((n - df + 0.5) / (df + 0.5))``: 0 < idf, larger for rarer terms."""
    return math.log1p((n - df + 0.5) / (df + 0.5))


def term_weights(terms: Iterable[str], df_of: Callable[[str], int], n: int, min_df: int | None) -> dict[str, float]:
    """Each distinct term's idf; a term with df 0 weighs as the rarest known term (1.0 if none)."""
    top = answer_idf(min_df, n) if min_df else 1.0
    out = {}
    for t in set(terms):
        df = df_of(t)
        out[t] = answer_idf(df, n) if df else top
    return out


@dataclass(frozen=True)
class TermStats:
    """How many passages hold each term (``df``) out of ``n`` passages."""

    n: int = 0
    df: Mapping[str, int] = field(default_factory=dict)

    @property
    def min_df(self) -> int | None:
        return min(self.df.values()) if self.df else None

    def updated(self, added: Iterable[list[str]] = (), removed: Iterable[list[str]] = ()) -> "TermStats":
        """New stats with the passages ``added`` counted and ``removed`` uncounted (each passage
        given as its list of terms); the input is not changed. Raises ValueError when a removed
        passage holds a term with no count (the stats and the passages disagree)."""
        df = Counter(self.df)
        n = self.n
        for terms in added:
            df.update(set(terms))
            n += 1
        for terms in removed:
            for t in set(terms):
                if df[t] <= 0:
                    raise ValueError(f"term {t!r} of a removed passage has no document frequency")
                df[t] -= 1
            n -= 1
        return TermStats(n=n, df={t: c for t, c in df.items() if c > 0})
