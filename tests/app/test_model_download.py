"""The first-run download button against the loopback hub (tests/hub.py): progress with bytes,
rate and time left, cancel keeping what arrived, resume, a folder added meanwhile scanned once
the model is here, and an unreachable hub said on the card with a way out."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.hub import VIT_B_32_FILE, VIT_B_32_REPO, unused_port

PROGRESS = re.compile(r"of 605 MB · [\d.]+ MB/s · \d+:\d\d left")


@pytest.fixture
def hub_cache(tmp_path, monkeypatch) -> Path:
    """This test's own Hugging Face cache, for this process's hub client."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


def _welcome_with_download_button(qtbot, open_window, root: Path):
    window = open_window(root, model="ViT-B-32")
    qtbot.waitUntil(lambda: window.welcome.download_button.isVisible(), timeout=60_000)
    assert window.welcome.choose_button.isVisible()
    assert window.welcome.choose_button.text() == "Choose weights file…"
    return window


def test_download_shows_progress_cancels_resumes_then_scans_the_folder_added_meanwhile(
    qtbot, open_window, vit_hub, hub_cache, tmp_path, photo_set
):
    window = _welcome_with_download_button(qtbot, open_window, tmp_path / "library")
    welcome = window.welcome
    vit_hub.block_delay = 0.02
    welcome.download_button.click()
    qtbot.waitUntil(lambda: PROGRESS.search(welcome.model_text.text()) is not None, timeout=60_000)
    assert welcome.download_bar.isVisible()
    assert welcome.download_bar.value() > 0
    welcome.cancel_button.click()
    qtbot.waitUntil(lambda: window.download_worker is None, timeout=30_000)
    assert "Download stopped" in welcome.model_text.text()
    (partial,) = (hub_cache / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K" / "blobs").glob(
        "*.partial"
    )
    kept = partial.stat().st_size
    assert kept > 0

    folder = tmp_path / "photos"
    folder.mkdir()
    for path in photo_set[1]["red"][:2]:
        shutil.copy(path, folder / path.name)
    welcome.download_button.click()
    window.add_folder(str(folder))  # while the model is still on its way
    assert window.scan_worker is None
    vit_hub.block_delay = 0.0
    qtbot.waitUntil(lambda: window.download_worker is None, timeout=120_000)
    assert int(vit_hub.gets()[-1].range.removeprefix("bytes=").rstrip("-")) >= kept
    qtbot.waitUntil(lambda: window.scan_worker is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.scan_worker is None, timeout=300_000)
    status = window.library.status()
    assert status.model is not None
    assert status.model.name == "ViT-B-32"
    assert status.embedded == 2
    assert vit_hub.files[VIT_B_32_REPO, VIT_B_32_FILE].exists()


def test_an_unreachable_hub_is_said_on_the_card_with_the_weights_file_way_out(
    qtbot, open_window, hub_cache, tmp_path, monkeypatch
):
    from huggingface_hub import constants

    endpoint = f"http://127.0.0.1:{unused_port()}"
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        endpoint + "/{repo_id}/resolve/{revision}/{filename}",
    )
    window = _welcome_with_download_button(qtbot, open_window, tmp_path / "library")
    window.welcome.download_button.click()
    qtbot.waitUntil(lambda: window.download_worker is None, timeout=60_000)
    text = window.welcome.model_text.text()
    assert f"cannot reach the Hugging Face hub at {endpoint}" in text
    assert "choose a weights file" in text
    assert window.welcome.choose_button.isVisible()
    assert window.welcome.download_button.isEnabled()


def test_the_scan_bar_names_the_conversion_step_then_counts_photos(qtbot):
    from phototag.app.progress import ScanProgress
    from phototag.core.model.backends import EXPORT_STAGES

    progress = ScanProgress()
    qtbot.addWidget(progress)
    progress.start()
    progress.report(EXPORT_STAGES[0], 0, 2)
    assert (
        progress.text.text() == "Converting the image model for this computer (once)… (step 1 of 2)"
    )
    assert (progress.bar.maximum(), progress.bar.value()) == (2, 0)
    progress.report(3, 10)
    assert progress.text.text().startswith("3 / 10 photos")
