"""The torch-free tokenizer against open_clip's, on prompts chosen to be awkward."""

from __future__ import annotations

import numpy as np
import open_clip
import pytest

from phototag.core.model.tokenizer import tokenizer

AWKWARD = [
    "",
    " ",
    "a dog",
    "A   DOG\t\non\u00a0the beach",
    "café, naïve façade — 東京タワー の 夜景 🐕‍🦺🌅",
    "it's the dog's ball; we'll see: they'd've?!...",
    "&amp;lt;b&amp;gt; html &quot;escaped&quot; twice",
    "mojibake: cafÃ© and â€œquotesâ€\x9d",
    "numbers 1234567890 3.14159 1e-9 #42 @home $5",
    "<start_of_text> <end_of_text> inside a prompt",
    "the quick brown fox jumps over the lazy dog " * 12,  # > 77 tokens: cut, end token kept
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 300,
]


def test_ids_are_open_clips_on_awkward_prompts():
    expected = open_clip.get_tokenizer("ViT-B-32")(AWKWARD).numpy()
    ids = tokenizer()(AWKWARD)
    assert ids.dtype == np.int64
    assert ids.shape == (len(AWKWARD), 77)
    mismatched = [p for p, a, b in zip(AWKWARD, ids, expected, strict=True) if (a != b).any()]
    assert mismatched == []


def test_long_prompts_keep_their_end_token():
    (row,) = tokenizer()([AWKWARD[-3]])
    assert row[-1] == tokenizer().end_id
    assert (row != 0).all()


@pytest.mark.parametrize("arch", ["ViT-B-32-quickgelu", "ViT-B-16"])
def test_the_other_plain_vits_use_the_same_tokenizer(arch):
    assert open_clip.get_tokenizer(arch)(AWKWARD).numpy().tolist() == tokenizer()(AWKWARD).tolist()
