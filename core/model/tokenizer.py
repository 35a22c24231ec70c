"""CLIP's text tokenizer without torch: a port of open_clip's SimpleTokenizer (itself OpenAI's,
MIT), reading the same byte-pair merges file, shipped in resources/models.

Chosen over Hugging Face `tokenizers` with a tokenizer.json: that one normalises text its own
way (no ftfy repair, its own lower-casing and whitespace rules), so its ids are not guaranteed to
be open_clip's on unusual text, and every stored prompt embedding depends on those ids. This port
runs open_clip's exact steps (ftfy, double HTML unescape, whitespace collapse, lower case, the
same regex, the same merges), so tests/core/model/test_tokenizer.py finds identical ids on
unicode, punctuation, empty and over-long prompts. It needs `ftfy` and `regex`, open_clip's own
dependencies, both small.
"""

from __future__ import annotations

import gzip
import html
import itertools
from functools import cache, lru_cache
from importlib import resources

import ftfy
import numpy as np
import regex

CONTEXT_LENGTH = 77
# open_clip keeps the first 48894 merges of the file (49152 - 256 - 2, after its header line).
_MERGES = 49152 - 256 - 2
_SPECIAL = ("<start_of_text>", "<end_of_text>")
_PATTERN = regex.compile(
    "|".join(_SPECIAL) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)


@cache
def _byte_symbols() -> dict[int, str]:
    """Each byte's printable stand-in, so merges never see whitespace or control characters."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    symbols = dict(zip(printable, printable, strict=True))
    extra = 0
    for byte in range(256):
        if byte not in symbols:
            symbols[byte] = 256 + extra
            extra += 1
    return {byte: chr(code) for byte, code in symbols.items()}


class Tokenizer:
    """Prompts to (n, 77) int64 token ids, as open_clip's tokenizer for the CLIP ViT models."""

    def __init__(self) -> None:
        merges_file = (
            resources.files("phototag.resources") / "models" / "bpe_simple_vocab_16e6.txt.gz"
        )
        lines = gzip.decompress(merges_file.read_bytes()).decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1 : _MERGES + 1]]
        symbols = list(_byte_symbols().values())
        vocabulary = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocabulary += _SPECIAL
        self._ids = {token: index for index, token in enumerate(vocabulary)}
        self._ranks = {merge: rank for rank, merge in enumerate(merges)}
        self.start_id, self.end_id = (self._ids[token] for token in _SPECIAL)

    def __call__(self, texts: list[str]) -> np.ndarray:
        result = np.zeros((len(texts), CONTEXT_LENGTH), np.int64)
        for row, text in enumerate(texts):
            ids = [self.start_id, *self.encode(text), self.end_id]
            if len(ids) > CONTEXT_LENGTH:
                ids = ids[:CONTEXT_LENGTH]
                ids[-1] = self.end_id
            result[row, : len(ids)] = ids
        return result

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        symbols = _byte_symbols()
        for word in _PATTERN.findall(_clean(text)):
            spelled = "".join(symbols[b] for b in word.encode("utf-8"))
            ids.extend(self._ids[piece] for piece in self._merged(spelled))
        return ids

    @lru_cache(maxsize=10_000)  # noqa: B019 - one tokenizer per process (see tokenizer())
    def _merged(self, word: str) -> tuple[str, ...]:
        """Byte-pair merges, lowest rank first, until none applies."""
        if word in _SPECIAL:
            return (word,)
        parts = (*word[:-1], word[-1] + "</w>")
        while len(parts) > 1:
            pairs = set(itertools.pairwise(parts))
            best = min(pairs, key=lambda pair: self._ranks.get(pair, len(self._ranks)))
            if best not in self._ranks:
                break
            parts = _merge(parts, best)
        return parts


def _merge(parts: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    merged: list[str] = []
    i = 0
    while i < len(parts):
        if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
            merged.append(parts[i] + parts[i + 1])
            i += 2
        else:
            merged.append(parts[i])
            i += 1
    return tuple(merged)


def _clean(text: str) -> str:
    """open_clip's 'lower' cleaning: ftfy repair, HTML unescaped twice, whitespace collapsed."""
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return " ".join(text.split()).lower()


@cache
def tokenizer() -> Tokenizer:
    """Reading the merges takes about 0.1 s: once per process."""
    return Tokenizer()
