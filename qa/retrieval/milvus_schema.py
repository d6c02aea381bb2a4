"""Where and how passages live in Milvus: the target (URI, collection), the schema, the BM25 field,
filter expressions, and the packing of sentence vectors. Pure functions, except ``create_collection``.

One collection per index, one row per passage: ``chunk_id`` (primary key), ``text`` (the passage,
verbatim), ``terms`` (its BM25 terms, below), ``sparse`` (Milvus's BM25 function over ``terms``),
``dense`` (the unit passage vector, HNSW, inner product), ``doc_id``, ``kind``, ``start``, ``end``,
``pages``, ``section``, ``sentences`` (offsets, JSON) and ``sentence_vectors`` (float16, base64 in
JSON: pymilvus checks every VARCHAR value character by character in Python, which made inserts
of kilobytes of packed vectors as VARCHAR several times slower).

BM25 terms: by default (analyzer ``qa``) the client tokenizes passages and queries with the
project's own tokenizer (stop words, Snowball stemmer, ``SPD-5`` and ``$469`` kept whole) and
Milvus scores those terms, so both back ends rank on the same terms on any Milvus (Milvus Lite
3.2.2's ``standard`` analyzer is ``\\w+`` + lowercase + stop words; it accepts a ``stemmer``
filter but does not apply it). Analyzer ``milvus`` instead gives Milvus the raw text with
``standard`` + lowercase + English stop words + English stemmer, so other clients can query it
with plain text.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

import numpy as np

from qa.retrieval.tokenize import STOP_WORDS
from qa.types import QAError

ANALYZERS = ("qa", "milvus")
MILVUS_ANALYZER = {"tokenizer": "standard",
                   "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOP_WORDS)},
                              {"type": "stemmer", "language": "english"}]}
TERMS_ANALYZER = {"tokenizer": "standard"}  # terms arrive lowercase and \w-only
MAX_VARCHAR = 65535  # bytes: Milvus's limit for one VARCHAR value
MAX_ID = 1024
HNSW = {"M": 32, "efConstruction": 80}
HNSW_EF_SEARCH = 256  # as the embedded faiss HNSW
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}  # rank-bm25's; Milvus Lite scores with these whatever is asked
FIELDS = ("chunk_id", "text", "terms", "sparse", "dense", "doc_id", "kind", "start", "end", "pages",
          "section", "sentences", "sentence_vectors")
CHUNK_FIELDS = ["chunk_id", "doc_id", "start", "end", "text", "pages", "section", "sentences"]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


@dataclass(frozen=True)
class MilvusTarget:
    """A Milvus to talk to: ``uri`` ending in ``.db`` is Milvus Lite (a local folder), an
    ``http(s)://`` or ``tcp://`` URI a standalone or distributed server; ``token`` authenticates
    to a server (``user:password`` or an API key) and is never recorded."""

    uri: str
    collection: str = "qa_passages"
    analyzer: str = "qa"
    token: str = ""

    def __post_init__(self) -> None:
        if not self.is_lite and not re.match(r"^(https?|tcp|unix)://", self.uri):
            raise ValueError(f"--milvus-uri must end in .db (Milvus Lite) or start with http:// or https:// "
                             f"(a Milvus server, e.g. http://localhost:19530), got {self.uri!r}")
        if not _NAME.fullmatch(self.collection):
            raise ValueError(f"Milvus collection names are letters, digits and _ (not first), at most 255: "
                             f"got {self.collection!r}")
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"analyzer must be one of {', '.join(ANALYZERS)}, got {self.analyzer!r}")

    @property
    def is_lite(self) -> bool:
        return self.uri.endswith(".db")

    def describe(self) -> dict:
        return {"uri": self.uri, "collection": self.collection, "analyzer": self.analyzer}


def encode_term(term: str) -> str:
    """A BM25 term as a ``\\w+`` word any Milvus tokenizer keeps whole: each other character
    becomes ``_<hex>_`` (``spd-5`` -> ``spd_2d_5``). Injective, since terms hold no ``_``."""
    return re.sub(r"[^\w]|_", lambda m: f"_{ord(m.group()):x}_", term)


def terms_text(terms: list[str]) -> str:
    """The ``terms`` field (or a query) for Milvus's BM25: encoded terms joined by spaces."""
    return " ".join(encode_term(t) for t in terms)


def literal(value: str) -> str:
    """``value`` as a double-quoted Milvus expression string (quotes and backslashes escaped)."""
    return json.dumps(str(value), ensure_ascii=False)


def in_list(field: str, values) -> str:
    """``field in ["a", "b"]`` with every value quoted by ``literal``."""
    return f"{field} in [" + ", ".join(literal(v) for v in values) + "]"


def filter_expression(doc_ids=(), kinds=()) -> str:
    """The Milvus filter for search settings' document and kind filters ("" when none)."""
    parts = []
    if doc_ids:
        parts.append(in_list("doc_id", doc_ids))
    if kinds:
        parts.append(in_list("kind", kinds))
    return " and ".join(parts)


def pack_vectors(vectors: np.ndarray, passage: np.ndarray | None = None) -> dict:
    """Sentence vectors (rows) as ``{"f16": base64 of little-endian float16, "tail": n}``, for a
    JSON field. The last ``n`` rows equal ``passage`` (within 1e-4) and are left out: the encoder
    gives sentences past the model's window the passage vector, and whole-document passages
    (BEIR) hold dozens of them, which would overflow Milvus's 64 KB per value."""
    vectors = np.asarray(vectors, dtype=np.float32)
    keep = len(vectors)
    if passage is not None:
        while keep and np.allclose(vectors[keep - 1], passage, atol=1e-4):
            keep -= 1
    packed = base64.b64encode(np.ascontiguousarray(vectors[:keep], dtype="<f2").tobytes()).decode("ascii")
    return {"f16": packed, "tail": len(vectors) - keep}


def unpack_vectors(packed: dict, dim: int, passage: np.ndarray | None = None) -> np.ndarray:
    """The float32 rows ``pack_vectors`` packed (``passage`` fills the tail); raises ValueError
    when the size is not n * dim or a tail has no passage vector to fill it."""
    if isinstance(packed, str):  # some clients hand JSON fields back as text
        packed = json.loads(packed)
    raw = np.frombuffer(base64.b64decode(packed["f16"]), dtype="<f2")
    if raw.size % dim:
        raise ValueError(f"packed sentence vectors hold {raw.size} numbers, not a multiple of {dim}")
    rows = raw.reshape(-1, dim).astype(np.float32)
    tail = int(packed.get("tail", 0))
    if tail and passage is None:
        raise ValueError("packed sentence vectors end in passage vectors, but no passage vector was given")
    return np.vstack([rows, np.tile(np.asarray(passage, dtype=np.float32), (tail, 1))]) if tail else rows


def check_varchar(value: str, field: str, chunk_id: str) -> str:
    """``value`` unchanged, or QAError naming the passage when it exceeds Milvus's VARCHAR limit."""
    size = len(value.encode("utf-8"))
    if size > MAX_VARCHAR:
        raise QAError(f"passage {chunk_id}: its {field} takes {size} bytes, over Milvus's {MAX_VARCHAR}; "
                      "use smaller chunks")
    return value


def create_collection(client, target: MilvusTarget, dim: int) -> None:
    """Create the passage collection (schema, BM25 function, HNSW and BM25 indexes)."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID)
    own = target.analyzer == "qa"
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR, **(
        {} if own else {"enable_analyzer": True, "analyzer_params": MILVUS_ANALYZER, "enable_match": True}))
    schema.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR, **(
        {"enable_analyzer": True, "analyzer_params": TERMS_ANALYZER, "enable_match": True} if own else {}))
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=MAX_ID)
    schema.add_field("kind", DataType.VARCHAR, max_length=256)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("pages", DataType.ARRAY, element_type=DataType.INT64, max_capacity=4096)
    schema.add_field("section", DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("sentences", DataType.JSON)
    schema.add_field("sentence_vectors", DataType.JSON)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["terms" if own else "text"], output_field_names=["sparse"]))
    index = client.prepare_index_params()
    index.add_index("dense", index_type="HNSW", metric_type="IP", params=dict(HNSW))
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25_PARAMS))
    index.add_index("doc_id", index_type="INVERTED")
    client.create_collection(target.collection, schema=schema, index_params=index)


def is_ours(client, collection: str) -> bool:
    """Whether an existing collection has this module's fields (so qa may rebuild it)."""
    fields = {f["name"] for f in client.describe_collection(collection).get("fields", [])}
    return set(FIELDS) <= fields
