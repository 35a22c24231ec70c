"""The look: one palette, the style sheet from resources/ and tinted line icons.

Icons are plain SVGs drawn with `currentColor`, so one file serves every colour the theme
needs; they are rendered at several sizes so they stay sharp on high-DPI screens.
"""

from __future__ import annotations

import functools
from importlib import resources

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

PALETTE = {
    "window": "#16171a",
    "panel": "#1c1d21",
    "surface": "#23252a",
    "border": "#2c2f35",
    "text": "#e8e9ec",
    "muted": "#9aa0a9",
    "accent": "#6c8cff",
    "accent_dark": "#4a5fd6",
    "rejected": "#ef6b6b",
    "warning": "#f0b54a",
    "placeholder": "#212328",
}
ICON_SIZES = (16, 20, 24, 32, 48, 64)


def color(name: str) -> QColor:
    return QColor(PALETTE[name])


def resource_text(name: str) -> str:
    return resources.files("phototag.resources").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def icon(name: str, tint: str = "muted") -> QIcon:
    """A line icon from resources/icons, drawn in one of the palette's colours."""
    svg = resource_text(f"icons/{name}.svg").replace("currentColor", PALETTE.get(tint, tint))
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    result = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


def app_icon() -> QIcon:
    """The application's own icon (full colour, not tinted)."""
    return icon("app", "text")


def apply_style(app: QApplication) -> None:
    """Fusion with a dark palette (for what the style sheet does not reach), then the sheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.Base: "surface",
        QPalette.ColorRole.AlternateBase: "panel",
        QPalette.ColorRole.Button: "surface",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.ToolTipBase: "surface",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.Highlight: "accent_dark",
        QPalette.ColorRole.PlaceholderText: "muted",
    }
    for role, name in roles.items():
        palette.setColor(role, color(name))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    app.setPalette(palette)
    app.setStyleSheet(resource_text("style.qss"))
    app.setWindowIcon(app_icon())
