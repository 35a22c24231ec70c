"""The few dialogs Phototag has: missing model weights and About. Both are window-modal but
opened without blocking (open(), not exec()), so a worker's signal never waits on them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from PySide6.QtWidgets import QMessageBox, QWidget

from phototag.app.style import app_icon
from phototag.core import ModelInfo, ModelSpec

DOWNLOAD = "download"
CHOOSE_FILE = "choose"


def weights_missing_dialog(parent: QWidget, spec: ModelSpec, message: str) -> QMessageBox:
    """The two fixes as buttons; `clickedButton().property("fix")` says which was chosen."""
    box = QMessageBox(parent)
    box.setObjectName("weightsMissing")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("The model is not on this computer")
    box.setText(f"Phototag needs the {spec.name} model to look at photos.")
    box.setInformativeText(
        "Its weights are not on this computer, and Phototag stays offline unless you ask.\n\n"
        f"• Download it once (about {spec.download_mb} MB); after that no network is needed.\n"
        "• Or choose a weights file you already have.\n\n"
        f"Details: {message}"
    )
    download = box.addButton(f"Download {spec.name}", QMessageBox.ButtonRole.AcceptRole)
    download.setProperty("fix", DOWNLOAD)
    choose = box.addButton("Choose weights file…", QMessageBox.ButtonRole.ActionRole)
    choose.setProperty("fix", CHOOSE_FILE)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(download)
    return box


def about_text(model: ModelInfo | None, library_root: str) -> str:
    try:
        release = version("phototag")
    except PackageNotFoundError:
        release = "development"
    if model is None:
        model_line = "No model yet: the first scan chooses one."
    else:
        model_line = f"Model in use: <b>{model.name}</b> ({model.embed_dim}-dimensional CLIP)"
        if model.meaningless:
            model_line += "<br><i>a random test model: its tags and scores are meaningless</i>"
    return (
        f"<h3>Phototag {release}</h3>"
        "<p>Private, on-device photo tagging: teach a label with a few examples and it spreads "
        "over the whole library. Nothing leaves this computer.</p>"
        f"<p>{model_line}</p>"
        f"<p>Library: {library_root}</p>"
    )


def show_about(parent: QWidget, model: ModelInfo | None, library_root: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("about")
    box.setWindowTitle("About Phototag")
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setText(about_text(model, library_root))
    box.open()
    return box
