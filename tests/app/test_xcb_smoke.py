"""The real app on a real X server: `phototag --library L gui` under Xvfb with Qt's xcb
platform (every other GUI test runs offscreen, which needs none of the system libraries a
desktop needs). It must open a window that paints, and end cleanly on SIGTERM.

Xvfb, xwininfo and ImageMagick's import, and the libraries Qt's xcb plugin loads, are installed
by `make test` (the Makefile's tools target: TEST_TOOLS and TEST_PACKAGES)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

START_TIMEOUT_S = 60  # deadlines only against a hang
EXIT_TIMEOUT_S = 30
MIN_COLOURS = 16  # a blank or unpainted screen has one or two
SCREENSHOT_COPY = os.environ.get("PHOTOTAG_XCB_SHOT")  # where to keep the screenshot, if set


def _need(command: str) -> str:
    found = shutil.which(command)
    if found is not None:
        return found
    message = (
        f"the xcb smoke test needs {command}: run it through 'make test', whose tools target "
        "(make tools) installs it"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def x_display(tmp_path):
    """An Xvfb server on a display number it picks itself (-displayfd), listening on no TCP
    port; yields the DISPLAY value."""
    xvfb = _need("Xvfb")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "xvfb.log", "wb"),  # noqa: SIM115  closed with the process
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as announced:
            number = announced.readline().strip()  # written once the server accepts clients
        assert number.isdigit(), f"Xvfb did not start: {(tmp_path / 'xvfb.log').read_text()}"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(EXIT_TIMEOUT_S)


def _window_viewable(display: str) -> bool:
    shown = subprocess.run(
        [_need("xwininfo"), "-name", "Phototag"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
    )
    return shown.returncode == 0 and "Map State: IsViewable" in shown.stdout


def _screenshot(display: str, path: Path) -> int:
    """Photograph the whole screen; the number of distinct colours in it."""
    subprocess.run(
        [_need("import"), "-window", "root", str(path)],
        env={**os.environ, "DISPLAY": display},
        check=True,
        capture_output=True,
    )
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    return len(colours or [])


def _until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.2)


def open_paint_and_stop(command: list[str], display: str, tmp_path: Path) -> tuple[int, str]:
    """Start the app on the X display, wait for its window to be painted, SIGTERM it:
    (exit code, stderr)."""
    _need("xwininfo")
    _need("import")
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    env.pop("WAYLAND_DISPLAY", None)
    app = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _until(
            lambda: app.poll() is not None or _window_viewable(display),
            START_TIMEOUT_S,
            "the Phototag window on the X display",
        )
        assert app.poll() is None, f"the app ended at once:\n{app.communicate()[1]}"

        shot = tmp_path / "screen.png"
        # The window is mapped before it has painted: wait for its pixels, not for a time.
        colours: list[int] = []
        _until(
            lambda: colours.append(_screenshot(display, shot)) or colours[-1] >= MIN_COLOURS,
            START_TIMEOUT_S,
            f"a painted screen (colours seen: {colours[-3:]})",
        )
        if SCREENSHOT_COPY:
            shutil.copy(shot, SCREENSHOT_COPY)

        app.send_signal(signal.SIGTERM)
        _, stderr = app.communicate(timeout=EXIT_TIMEOUT_S)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    return app.returncode, stderr


def test_the_app_opens_a_painted_window_on_x11_and_ends_cleanly_on_sigterm(
    x_display, library_dir, tmp_path
):
    phototag = Path(sys.executable).with_name("phototag")
    code, stderr = open_paint_and_stop(
        [str(phototag), "--library", str(library_dir), "gui"], x_display, tmp_path
    )
    assert "Traceback" not in stderr, stderr
    assert code == 0, f"exit {code}; stderr:\n{stderr}"
