"""`make bundle`: the one-folder app (PyInstaller, phototag.spec) wrapped as a .deb (dpkg-deb).

Steps: install the checkout non-editable into build/bundle/site (what a wheel holds, nothing
else), freeze it with the spec, lay out the package tree (/opt/phototag, /usr/bin links, the
desktop entry and icon) and build dist/phototag_<version>_<arch>.deb. Prints each step's time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bundle"
DIST = ROOT / "dist"
sys.path.insert(0, str(ROOT / "cli"))  # cli/system.py without importing phototag itself
from system import XCB_LIBRARIES  # noqa: E402

APP_ID = "org.phototag.Phototag"
# The desktop entry's Exec: the window, no terminal needed.
GUI_LAUNCHER = '#!/bin/sh\nexec /opt/phototag/phototag gui "$@"\n'


def _step(what: str, command: list[str], **kwargs) -> None:
    started = time.monotonic()
    subprocess.run(command, check=True, **kwargs)
    print(f"{what}: {time.monotonic() - started:.0f} s", flush=True)


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()


def freeze() -> Path:
    site = BUILD / "site"
    shutil.rmtree(site, ignore_errors=True)
    _step(
        "installed the checkout (non-editable)",
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(ROOT),
        ],
    )
    env = {**os.environ, "PHOTOTAG_BUNDLE_SITE": str(site)}
    _step(
        "froze the app (PyInstaller)",
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(BUILD / "dist"),
            "--workpath",
            str(BUILD / "work"),
            str(ROOT / "packaging" / "phototag.spec"),
        ],
        env=env,
    )
    return BUILD / "dist" / "phototag"


def control(version: str, architecture: str, installed_kb: int) -> str:
    depends = ", ".join(sorted({library.debian for library in XCB_LIBRARIES}))
    return (
        f"Package: phototag\nVersion: {version}\nArchitecture: {architecture}\n"
        "Maintainer: Phototag <phototag@localhost>\nSection: graphics\nPriority: optional\n"
        f"Installed-Size: {installed_kb}\nDepends: {depends}\n"
        "Description: private, on-device photo tagging\n"
        " Teach a label with a few examples and CLIP spreads it over the library.\n"
        " Everything runs on this computer; no photo ever leaves it.\n"
    )


def package(app: Path) -> Path:
    tree = BUILD / "deb"
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(app, tree / "opt" / "phototag", symlinks=True)
    bin_dir = tree / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "phototag").symlink_to("/opt/phototag/phototag")
    launcher = bin_dir / "phototag-gui"
    launcher.write_text(GUI_LAUNCHER)
    launcher.chmod(0o755)
    share = tree / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(ROOT / "resources" / f"{APP_ID}.desktop", share / "applications")
    icons = share / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "icons" / "app.svg", icons / f"{APP_ID}.svg")
    size_kb = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file()) // 1024
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN" / "control").write_text(control(_version(), _architecture(), size_kb))
    DIST.mkdir(exist_ok=True)
    deb = DIST / f"phototag_{_version()}_{_architecture()}.deb"
    _step(
        "built the .deb (dpkg-deb)",
        ["dpkg-deb", "--root-owner-group", "-Zzstd", "-z3", "--build", str(tree), str(deb)],
        stdout=subprocess.DEVNULL,
    )
    return deb


def main() -> None:
    started = time.monotonic()
    deb = package(freeze())
    unpacked = sum(p.stat().st_size for p in (BUILD / "deb").rglob("*") if p.is_file())
    print(
        f"{deb}: {deb.stat().st_size / 1e6:.0f} MB, {unpacked / 1e6:.0f} MB installed; "
        f"make bundle took {time.monotonic() - started:.0f} s "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
