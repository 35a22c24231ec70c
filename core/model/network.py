"""The single door to the network.

Photos and their embeddings never leave the machine, and the only download Phototag ever needs is
a model's weights. phototag.core sets HF_HUB_OFFLINE=1 for the whole process, so every
huggingface_hub call fails fast instead of reaching the hub; `online()` lifts that switch only
around an explicit `phototag model download`, which keeps "no network unless asked" checkable in
one place.

huggingface_hub reads the variable once, at its own import, so a process that imported it before
phototag.core (a test module, a plugin) would still be online; `offline()` pins the switch around
model loading so that loading never depends on import order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def online() -> Iterator[None]:
    with _hub_offline(False):
        yield


@contextmanager
def offline() -> Iterator[None]:
    with _hub_offline(True):
        yield


@contextmanager
def _hub_offline(flag: bool) -> Iterator[None]:
    # Imported here so that importing this module stays cheap for `phototag status`.
    from huggingface_hub import constants

    previous_flag = constants.HF_HUB_OFFLINE
    previous_env = os.environ.get("HF_HUB_OFFLINE")
    constants.HF_HUB_OFFLINE = flag
    os.environ["HF_HUB_OFFLINE"] = "1" if flag else "0"
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = previous_flag
        if previous_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous_env
