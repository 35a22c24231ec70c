"""The decode workers of a process that imported Qt (the GUI's) import neither Qt nor anything
of app/: 'spawn' runs no main module again in a worker (core/ingest/decode_pool.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.photos import write_photo

REPO = Path(__file__).resolve().parents[3]

# A main module as the GUI's can be: Qt and the window imported at its top.
PARENT = """
import json, sys
import PySide6.QtWidgets
import phototag.app.main_window
from phototag.core.ingest.decode_pool import DecodePool
from tests.core.ingest.worker_probe import ModulesRecipe

if __name__ == "__main__":
    pool = DecodePool(1)
    recipe = ModulesRecipe(resize=64, resample=3, crop=(64, 64), mean=(0.5,) * 3, std=(0.5,) * 3)
    [(_, pixels)] = pool.decode_in_order([sys.argv[1]], str, recipe, 1)
    pool.close()
    print(json.dumps({"parent": sorted(sys.modules), "worker": list(pixels.crop)}))
"""


def test_a_decode_worker_of_a_qt_process_imports_no_qt_and_nothing_of_the_app(tmp_path):
    photo = write_photo(tmp_path / "red.jpg", ["red"], seed=1)
    script = tmp_path / "gui_like_main.py"
    script.write_text(PARENT)
    environment = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, str(script), str(photo)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.splitlines()[-1])

    assert "PySide6" in seen["parent"]
    worker = set(seen["worker"])
    assert "phototag.core.ingest.decode_pool" in worker
    assert not {"PySide6", "shiboken6"} & worker
    assert not [name for name in worker if name.startswith("phototag.app")]
    # nor the store's SQLite layer, which brings pandas and pyarrow
    assert not {"phototag.core.store.database", "sqlite_utils", "pandas"} & worker
