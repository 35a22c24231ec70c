"""Open the desktop app on a sample library and save screenshots of it.

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python bench/screenshot.py shots/

Builds a library of generated scenes (sunsets, seas, forests, night skies, deserts, snow; plus
scikit-image's sample photos when it is installed), scans it with the built-in tiny-random
model, tags three sunsets, and saves: the welcome page, the grid with the label lit up and a
photo's details, the label's review, its Help-this-label tab, a weak label's health, a search,
the Model menu, and the window after Refine (ProLIP). Works offscreen too (QT_QPA_PLATFORM).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SCENES = ("sunset", "sea", "forest", "night", "desert", "snow")
PER_SCENE = 12
SIZE = (480, 360)


def _gradient(top: tuple, bottom: tuple, size=SIZE) -> Image.Image:
    height = size[1]
    strip = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / (height - 1)
        strip.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return strip.resize(size)


def _jitter(colour: tuple, rng: random.Random, amount: int = 18) -> tuple:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)


def _hills(draw: ImageDraw.ImageDraw, rng: random.Random, base: float, colour: tuple) -> None:
    width, height = SIZE
    phase, wave = rng.uniform(0, 6.3), rng.uniform(1.5, 3.5)
    points = [(0, height)]
    for x in range(0, width + 8, 8):
        y = height * base + 22 * math.sin(phase + wave * x / width * math.pi)
        points.append((x, y + rng.uniform(-2, 2)))
    points.append((width, height))
    draw.polygon(points, fill=colour)


def scene(kind: str, seed: int) -> Image.Image:
    """A small procedural picture; each kind has its own palette and shapes."""
    rng = random.Random(seed)
    width, height = SIZE
    palettes = {
        "sunset": ((72, 40, 110), (250, 140, 70)),
        "sea": ((120, 180, 235), (20, 80, 150)),
        "forest": ((170, 210, 230), (40, 110, 60)),
        "night": ((8, 12, 40), (30, 40, 90)),
        "desert": ((150, 200, 240), (230, 190, 120)),
        "snow": ((190, 210, 235), (245, 248, 252)),
    }
    top, bottom = palettes[kind]
    image = _gradient(_jitter(top, rng), _jitter(bottom, rng))
    draw = ImageDraw.Draw(image)
    if kind == "sunset":
        x, r = rng.randint(120, 360), rng.randint(30, 55)
        draw.ellipse([x - r, 210 - r, x + r, 210 + r], fill=(255, 214, 120))
        _hills(draw, rng, 0.72, _jitter((40, 20, 50), rng, 10))
    elif kind == "sea":
        horizon = rng.randint(150, 200)
        draw.rectangle([0, horizon, width, height], fill=_jitter((25, 90, 160), rng))
        for _ in range(40):
            x, y = rng.randint(0, width), rng.randint(horizon + 5, height)
            draw.line([x, y, x + rng.randint(10, 40), y], fill=(200, 225, 245), width=2)
    elif kind == "forest":
        for layer, shade in ((0.55, (60, 120, 80)), (0.7, (35, 95, 55)), (0.85, (20, 70, 40))):
            _hills(draw, rng, layer, _jitter(shade, rng, 12))
        for _ in range(14):
            x, y = rng.randint(0, width), rng.randint(int(height * 0.6), height)
            draw.polygon([(x, y - 60), (x - 18, y), (x + 18, y)], fill=(18, 60, 32))
    elif kind == "night":
        for _ in range(90):
            x, y = rng.randint(0, width), rng.randint(0, int(height * 0.75))
            draw.point((x, y), fill=(255, 255, 230))
        x = rng.randint(60, 420)
        draw.ellipse([x - 22, 50, x + 22, 94], fill=(240, 236, 210))
        _hills(draw, rng, 0.8, (10, 12, 24))
    elif kind == "desert":
        _hills(draw, rng, 0.6, _jitter((220, 170, 100), rng))
        _hills(draw, rng, 0.75, _jitter((200, 145, 80), rng))
        x = rng.randint(80, 400)
        draw.ellipse([x - 26, 40, x + 26, 92], fill=(255, 246, 200))
    else:
        _hills(draw, rng, 0.6, (235, 240, 248))
        _hills(draw, rng, 0.78, (210, 222, 238))
        for _ in range(8):
            x, y = rng.randint(0, width), rng.randint(int(height * 0.55), height - 20)
            draw.polygon([(x, y - 40), (x - 14, y), (x + 14, y)], fill=(60, 80, 70))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def make_sample_photos(folder: Path) -> dict[str, list[Path]]:
    made: dict[str, list[Path]] = {}
    for index, kind in enumerate(SCENES):
        for number in range(PER_SCENE):
            path = folder / kind / f"{kind}_{number:02d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            scene(kind, seed=index * 100 + number).save(path, quality=90)
            made.setdefault(kind, []).append(path)
    _add_skimage_photos(folder / "samples")
    broken = folder / "sea" / "damaged.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    return made


def _add_skimage_photos(folder: Path) -> None:
    try:
        from skimage import data
    except ImportError:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field"):
        Image.fromarray(getattr(data, name)()).convert("RGB").save(folder / f"{name}.jpg")


def _wait(app, condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def _settle(app, window, seconds: float = 1.0) -> None:
    """Let the library thread's jobs be shown, thumbnails arrive and the window repaint."""
    from tests.app.helpers import settle

    settle(window)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    window.loader.wait_idle(10_000)
    app.processEvents()


def open_sample_window(work: Path):
    """(app, library, window, photos by scene): the app at 1400x860 on a fresh library in
    `work`, with the sample photos written but no folder added yet."""
    os.environ.setdefault("XDG_CONFIG_HOME", str(work / "config"))
    os.environ.setdefault("XDG_DATA_HOME", str(work / "data"))

    from phototag.app.main import make_application
    from phototag.app.main_window import MainWindow
    from phototag.core.library import Library

    photos = make_sample_photos(work / "Pictures")
    app = make_application()
    library = Library(work / "library")
    window = MainWindow(library, model="tiny-random")
    window.resize(1400, 860)
    window.show()
    return app, library, window, photos


def scanned_sample(description: str):
    """(PNG folder, app, library, window, photos by scene) for one feature's screenshot script:
    the folder from the command line, the sample window with its photos added and scanned."""
    out, app, library, window, photos = sample_being_scanned(description)
    _wait(app, lambda: window.scan_worker is None, 600)
    window.problems.hide()
    return out, app, library, window, photos


def sample_being_scanned(description: str):
    """(PNG folder, app, library, window, photos by scene): the folder from the command line,
    the sample window with its photos added and their scan started."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="phototag-shot-"))
    app, library, window, photos = open_sample_window(work)
    window.add_folder(str(work / "Pictures"))
    _wait(app, lambda: window.scan_worker is not None)  # started once the folder is added
    return out, app, library, window, photos


def close_sample(window, library, out: Path) -> None:
    window.close()
    library.close()
    print(f"screenshots in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--workdir", type=Path, help="where the sample library goes (kept)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="phototag-shot-"))
    args.out.mkdir(parents=True, exist_ok=True)
    app, library, window, photos = open_sample_window(work)
    _settle(app, window, 0.5)
    window.grab().save(str(args.out / "welcome.png"))

    window.add_folder(str(work / "Pictures"))
    _wait(app, lambda: window.scan_worker is None, 300)
    window.problems.hide()
    window.sidebar.select("all", None)
    _settle(app, window)
    window.grid.clearSelection()
    rows = [window.photo_model.row_of(str(p)) for p in photos["sunset"][:3]]
    for row in rows:
        index = window.photo_model.index(row)
        window.grid.selectionModel().select(
            index, window.grid.selectionModel().SelectionFlag.Select
        )
    window.tag_selected("Sunset")
    window.tag_paths("Forest", [str(p) for p in photos["forest"][:3]])
    window.tag_paths("Sunset", [str(p) for p in photos["sunset"][:3]])
    window.grid.clearSelection()
    first = window.photo_model.index(window.photo_model.row_of(str(photos["sunset"][5])))
    window.grid.setCurrentIndex(first)
    _settle(app, window, 1.5)
    window.grab().save(str(args.out / "grid.png"))

    window.sidebar.select("label", "Sunset")
    window.grid.setCurrentIndex(window.photo_model.index(0))
    _settle(app, window, 1.0)
    window.grab().save(str(args.out / "review.png"))

    window.tag_paths("Snow", [str(photos["snow"][0])])  # one example: a weak label
    window.sidebar.select("label", "Sunset")
    window.header.review.segments["help"].click()
    _settle(app, window, 1.0)
    window.grab().save(str(args.out / "help-this-label.png"))
    window.sidebar.select("label", "Snow")
    _settle(app, window, 1.0)
    window.grab().save(str(args.out / "weak-label.png"))

    window.sidebar.select("all", None)
    window.search_box.setText("a quiet night sky")
    window.search("a quiet night sky")
    _wait(app, lambda: window.query is not None, 120)
    _settle(app, window, 1.0)
    window.grab().save(str(args.out / "search.png"))

    controls = window.model_controls
    controls.menu.popup(window.mapToGlobal(window.rect().center()))
    _settle(app, window, 0.5)
    controls.menu.grab().save(str(args.out / "model-menu.png"))
    controls.menu.hide()
    controls.refine_action.trigger()
    _wait(app, lambda: not controls.busy, 120)
    window.clear_search()
    _settle(app, window, 1.0)
    window.grab().save(str(args.out / "refined.png"))
    close_sample(window, library, args.out)


if __name__ == "__main__":
    main()
