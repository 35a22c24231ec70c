"""Fitted heads as bytes, so that reading a library never refits one.

A stored head is only valid for the exact inputs it was fitted on, so it is kept with a digest
of them: the method and its settings, and the embeddings of the positives, rejections, prior
and (for methods that use them) other labels' positives. Any change to the examples, the
prompt or the projection changes the digest, and the head is refitted instead of restored.

The bytes are an .npz of plain numeric arrays plus the head's kind, read back with
allow_pickle=False: nothing in the database can make this process run code.
"""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np

from phototag.core.labels.heads import Examples, Head, Method, Unfitted
from phototag.core.labels.heads.finetune import TunedHead
from phototag.core.labels.heads.linear_probe import ProbeHead
from phototag.core.labels.heads.llu import LocalHead
from phototag.core.labels.heads.multiproxy import ProxyHead
from phototag.core.labels.heads.mwi import ImprintHead
from phototag.core.labels.heads.tip_adapter import TipHead

_KIND = "__kind__"
STORABLE: dict[str, type[Head]] = {
    cls.kind: cls
    for cls in (Unfitted, ImprintHead, ProbeHead, LocalHead, TunedHead, TipHead, ProxyHead)
    if cls.kind is not None
}


def examples_digest(method: Method, examples: Examples) -> str:
    """A digest of everything a fit of `method` on `examples` depends on."""
    digest = hashlib.sha256()
    settings = {k: v for k, v in vars(method).items() if isinstance(v, int | float | str)}
    digest.update(json.dumps([method.name, settings], sort_keys=True).encode())
    parts = (examples.positives, examples.rejections, examples.prior, examples.others)
    for part in parts:
        if part is None:
            digest.update(b"none")
            continue
        array = np.ascontiguousarray(part, dtype=np.float32)
        digest.update(repr(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def head_to_bytes(head: Head) -> bytes | None:
    """The head's stored form, or None for a kind of head that cannot be stored."""
    if head.kind not in STORABLE or type(head) is not STORABLE[head.kind]:
        return None
    buffer = io.BytesIO()
    arrays = {_KIND: np.array(head.kind), **head.parameters()}
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def head_from_bytes(blob: bytes, method: Method, examples: Examples) -> Head:
    """The head stored in `blob`, fitted by `method` on `examples` (its digest matched)."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
        parameters = {name: stored[name] for name in stored.files}
    kind = str(parameters.pop(_KIND))
    return STORABLE[kind].restore(parameters, method, examples)
