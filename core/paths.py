"""Where Phototag keeps its per-user files.

platformdirs follows each platform's convention (XDG_DATA_HOME on Linux), which also lets tests
move everything into a temporary directory through the environment.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "phototag"


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_library_dir() -> Path:
    return user_data_dir() / "library"


def models_dir() -> Path:
    """Created on first use: callers write weights files straight into it."""
    path = user_data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_cache_dir() -> Path:
    """Files that can always be recomputed (evaluation embeddings, exported image towers);
    created on first use."""
    path = Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_cache_dir() -> Path:
    """Files derived from model weights (exported image towers): rebuilt when deleted."""
    path = user_cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
