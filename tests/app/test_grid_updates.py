"""A decision repaints the grid's rows that changed, by dataChanged, never by a model reset that
makes the grid lay out every photo again (issue 14)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from phototag.app.photo_model import Role
from tests.app.helpers import select_paths, settle, shown_paths


def _tag_in_details(qtbot, window, paths, label: str) -> None:
    select_paths(window, paths)
    qtbot.keyClicks(window.details.tag_input, label)
    qtbot.keyClick(window.details.tag_input, Qt.Key.Key_Return)


def test_tagging_in_all_photos_repaints_only_changed_rows(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    _tag_in_details(qtbot, window, made["red"][:2], "red")
    qtbot.waitUntil(lambda: window.sidebar.item_for("label", "red") is not None)
    before = shown_paths(window)
    resets: list[bool] = []
    repainted: set[int] = set()
    model = window.photo_model
    model.modelReset.connect(lambda: resets.append(True))

    def changed(first, last, roles) -> None:
        if Role.MARK in roles:
            repainted.update(range(first.row(), last.row() + 1))

    model.dataChanged.connect(changed)
    newly = str(made["red"][2])
    _tag_in_details(qtbot, window, [newly], "red")

    assert shown_paths(window) == before
    assert not resets
    assert model.row_of(newly) in repainted
    assert model.data(model.index(model.row_of(newly)), Role.MARK) == "confirmed"
    unchanged_rows = set(range(len(before))) - repainted
    assert unchanged_rows, "every row was repainted: no better than a reset"


def test_a_thumbnail_repaints_the_rows_that_asked_for_it_and_no_other(
    qtbot, qapp, library, tmp_path
):
    """Rows are indexed by content hash only when Qt paints them, not all at every refresh."""
    from phototag.app.photo_model import PhotoModel
    from phototag.app.thumbnail_loader import ThumbnailLoader

    model = PhotoModel(ThumbnailLoader(tmp_path / "thumbnails", 64))
    model.set_photos(library.photos())
    repainted: list[int] = []

    def changed(first, last, roles) -> None:
        if Role.THUMBNAIL in roles:
            repainted.extend(range(first.row(), last.row() + 1))

    model.dataChanged.connect(changed)
    asked = [0, 2]
    assert all(model.data(model.index(row), Role.THUMBNAIL) is None for row in asked)
    qtbot.waitUntil(lambda: sorted(repainted) == asked)
    assert all(model.data(model.index(row), Role.THUMBNAIL) is not None for row in asked)
    qtbot.wait(50)  # a late signal for a row never asked would show here
    assert sorted(repainted) == asked


def test_a_refresh_keeps_the_scroll_position_while_the_grid_is_laid_out_in_batches(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    window.resize(700, 420)
    window.tag_paths("red", made["red"][:2])
    settle(window)
    window.sidebar.select("label", "red")
    settle(window)
    window.grid.setBatchSize(1)  # a row a batch: the range grows back row by row
    bar = window.grid.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    suggested = shown_paths(window)
    bar.setValue(bar.maximum())
    bottom = bar.value()

    window.tag_paths("red", suggested[:1])
    settle(window)

    model = window.photo_model
    assert shown_paths(window) != suggested
    last = model.index(model.rowCount() - 1)
    qtbot.waitUntil(lambda: window.grid.visualRect(last).isValid())  # laid out to the end
    assert bar.value() == min(bottom, bar.maximum())
    assert bar.value() > 0
