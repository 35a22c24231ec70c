"""What the desktop app needs from the system it lands on, checked before Qt starts.

Without one of the libraries Qt's xcb platform plugin links, Qt aborts the process (exit 134,
a core dump) with a misleading line ("xcb-cursor0 or libxcb-cursor0 is needed" when that one
was installed and libxcb-icccm4 was not). Loading each library the way the plugin will
(dlopen by soname) names the missing ones exactly, with the packages that provide them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

from phototag.core import EnvironmentProblem


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str
    fedora: str
    arch: str


# What libqxcb.so links (ldd PySide6/Qt/plugins/platforms/libqxcb.so) and loads at start
# (QT_DEBUG_PLUGINS=1), outside what the PySide6 wheel carries. The Debian names are the
# Makefile's TEST_PACKAGES and the .deb's Depends (tests/test_system.py keeps them equal).
XCB_LIBRARIES = (
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image", "xcb-util-image"),
    SystemLibrary(
        "libxcb-render-util.so.0",
        "libxcb-render-util0",
        "xcb-util-renderutil",
        "xcb-util-renderutil",
    ),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb", "libxcb"),
    SystemLibrary(
        "libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"
    ),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb", "libx11"),
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl", "libglvnd"),
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx", "libglvnd"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig", "fontconfig"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs", "dbus"),
)


def uses_xcb(environ: os._Environ | dict[str, str] = os.environ) -> bool:
    """Whether Qt will start its xcb plugin: on Linux, asked for by name, or by default on an
    X display. offscreen, wayland and the others need none of these libraries."""
    if not sys.platform.startswith("linux"):
        return False
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(":")[0] == "xcb"
    return bool(environ.get("DISPLAY"))


def missing(libraries: tuple[SystemLibrary, ...]) -> list[SystemLibrary]:
    absent = []
    for library in libraries:
        try:
            ctypes.CDLL(library.soname)
        except OSError:
            absent.append(library)
    return absent


def check_gui_platform() -> None:
    """Raise one line naming the packages to install when a library the window needs is absent."""
    if not uses_xcb():
        return
    absent = missing(XCB_LIBRARIES)
    if not absent:
        return
    names = ", ".join(library.soname for library in absent)

    def packages(distribution: str) -> str:
        return " ".join(dict.fromkeys(getattr(library, distribution) for library in absent))

    raise EnvironmentProblem(
        f"the window cannot open: missing {names}; install them with "
        f"'sudo apt-get install {packages('debian')}' (Debian/Ubuntu), "
        f"'sudo dnf install {packages('fedora')}' (Fedora) or "
        f"'sudo pacman -S {packages('arch')}' (Arch)"
    )
