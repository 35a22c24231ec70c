"""The one loaded copy of a model in a process, shared by every Library the process opens.

The GUI runs a scan, the search box's text tower and the folder watcher on threads of their own,
each with its own Library (a SQLite connection belongs to the thread that opened it); each used
to load its own copy of the model, three times the memory with real weights. Here each model is
loaded once per process, keyed by the model and its weights file (path, size and modification
time, so a file replaced in place is a new model), under a lock, so two threads asking at once
load it once. The threads then share its ONNX Runtime sessions, whose run() is thread-safe; the
encoder builds each session once under a lock of its own (onnx_encoder.EncoderBase).

A shared model holds no library's state: the projection a library embeds with (ProLIP refines
it) is added by that library's Encoders each time it hands the model out (encoders.py).

The latest model asked for stays loaded for the life of the process, so a scan that ends does
not take the model with it before the watcher's next batch or the next search; a model another
one replaced (other weights chosen) stays only as long as a running task still holds it.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from phototag.core.model.onnx_encoder import EncoderBase
from phototag.core.model.specs import get_spec

_Key = tuple[str, str | None, tuple[int, int] | None]

_lock = threading.Lock()
_in_use: weakref.WeakValueDictionary[_Key, EncoderBase] = weakref.WeakValueDictionary()
_latest: list[EncoderBase] = []  # the one model kept loaded while nothing else holds it


def shared_model(name: str, weights: Path | None) -> EncoderBase:
    """The process's loaded model `name` (a spec name) with these weights (None: the spec's
    own); loaded here on first use. `weights` is canonical (encoders.canonical)."""
    with _lock:
        key = _key(name, weights)
        model = _in_use.get(key)
        if model is None:
            from phototag.core.model.encoder import load_encoder

            model = load_encoder(name, weights)
            _in_use[key] = model
        _latest[:] = [model]
        return model


def _key(name: str, weights: Path | None) -> _Key:
    """The model and the file its weights come from: for no path, the file load_encoder would
    read (the tiny model's lives in the user's data folder, the others' in the hub cache)."""
    from phototag.core.model.encoder import default_weights

    path = weights if weights is not None else default_weights(get_spec(name))
    if path is None:
        return name, None, None
    try:
        found = path.stat()
    except OSError:  # load_encoder says what is wrong with the path
        return name, str(path), None
    return name, str(path), (found.st_size, found.st_mtime_ns)
