"""Finding in the window, driven as a person would: More Like This from the grid's context
menu and the details pane, a smart album made in its dialog and shown in the sidebar with a
live count, and a group of look-alike photos named after deselecting a misfit."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialogButtonBox

from phototag.app.finding import AlbumDialog
from phototag.app.sidebar import COUNTS
from phototag.core.library import Library
from tests.app.helpers import select_paths, settle, shown_paths
from tests.app.test_driving import (
    answer_next_dialog,
    choose,
    click_sidebar,
    context_menu,
    menu_bar_action,
)

TIMEOUT_MS = 60_000


def right_click_photo(qtbot, window, path: str):
    row = window.photo_model.row_of(path)
    rect = window.grid.visualRect(window.photo_model.index(row))
    return context_menu(qtbot, window.grid.viewport(), rect.center())


def test_more_like_this_from_the_context_menu_shows_the_most_alike_first(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    seed = str(made["green"][0])
    select_paths(window, [seed])
    choose(right_click_photo(qtbot, window, seed), "More Like This")
    settle(window)

    shown = window.photo_model.photos()
    assert shown
    assert seed not in {p.path for p in shown}
    with Library(library_dir) as library:
        expected = library.similar([seed])
    assert [(p.path, p.score) for p in shown] == [(p.path, p.score) for p in expected]
    assert window.header.title.text() == "More like green_00.jpg"
    assert not window.sidebar.selectedItems()  # no sidebar entry claims this view
    assert "most alike first" in window.header.subtitle.text()
    top = {p.path for p in shown[:6]}
    assert top <= {str(p) for key in ("green", "red+green", "green+blue") for p in made[key]}


def test_the_details_pane_button_finds_photos_like_the_selection(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    seeds = [str(made["blue"][0]), str(made["blue"][1])]
    select_paths(window, seeds)
    assert window.details.more_like_this.isVisible()
    qtbot.mouseClick(window.details.more_like_this, Qt.MouseButton.LeftButton)
    settle(window)
    assert window.view.kind == "similar"
    assert window.header.title.text() == "More like 2 photos"
    assert not set(seeds) & set(shown_paths(window))


def test_a_smart_album_is_saved_in_its_dialog_and_counts_live_in_the_sidebar(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    window.tag_paths("New York", made["blue"][:3])
    settle(window)

    def fill(dialog, query: str):
        assert isinstance(dialog, AlbumDialog)
        dialog.name.clear()
        qtbot.keyClicks(dialog.name, "Red not NY")
        dialog.query.clear()
        qtbot.keyClicks(dialog.query, query)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()

    answered = answer_next_dialog(qtbot, lambda d: fill(d, 'red AND NOT ("New York"'))
    menu_bar_action(window, "Labels", "New Smart Album…").trigger()
    qtbot.waitUntil(lambda: answered == [True], timeout=TIMEOUT_MS)
    settle(window)
    dialog = window.finding.dialog
    assert dialog.isVisible()
    assert "is never closed at column 13" in dialog.error.text()
    with Library(library_dir) as library:
        assert library.albums() == []

    dialog.query.clear()
    qtbot.keyClicks(dialog.query, 'red AND NOT "New York"')
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    settle(window)
    assert not dialog.isVisible()
    with Library(library_dir) as library:
        expected = {p.path for p in library.find('red AND NOT "New York"')}
    item = window.sidebar.item_for("album", "Red not NY")
    assert item is not None
    assert item.data(0, COUNTS) == (len(expected),)
    assert window.view.kind == "album"
    assert set(shown_paths(window)) == expected

    click_sidebar(qtbot, window, "all", None)
    window.tag_paths("New York", made["red"][:1])  # the red photo now carries New York
    settle(window)
    with Library(library_dir) as library:
        now = {p.path for p in library.find('red AND NOT "New York"')}
    assert now != expected
    item = window.sidebar.item_for("album", "Red not NY")
    assert item.data(0, COUNTS) == (len(now),)
    click_sidebar(qtbot, window, "album", "Red not NY")
    assert set(shown_paths(window)) == now

    rect = window.sidebar.visualItemRect(window.sidebar.item_for("album", "Red not NY"))
    choose(context_menu(qtbot, window.sidebar.viewport(), rect.center()), "Delete Album")
    settle(window)
    assert window.sidebar.item_for("album", "Red not NY") is None
    with Library(library_dir) as library:
        assert library.albums() == []
        assert len(library.labels()) == 2


def test_a_proposed_group_becomes_a_label_of_the_photos_left_selected(
    qtbot, open_window, library_dir, photo_set
):
    _, made = photo_set
    window = open_window(library_dir)
    window.tag_paths("red", made["red"][:3])
    settle(window)
    menu_bar_action(window, "Labels", "Find Groups Worth Naming").trigger()
    qtbot.waitUntil(lambda: window.finding.discover_task is None, timeout=TIMEOUT_MS)
    offer = window.finding.offer
    assert offer.isVisible()
    assert "photos look alike" in offer.text.text()

    qtbot.mouseClick(offer.show_button, Qt.MouseButton.LeftButton)
    settle(window)
    group = shown_paths(window)
    assert len(group) >= 5
    assert set(window.grid.selected_paths()) == set(group)
    misfit = group[-1]
    index = window.photo_model.index(window.photo_model.row_of(misfit))
    window.grid.selectionModel().select(index, QItemSelectionModel.SelectionFlag.Deselect)

    qtbot.keyClicks(offer.name, "meadow")
    qtbot.mouseClick(offer.create, Qt.MouseButton.LeftButton)
    settle(window)
    with Library(library_dir) as library:
        confirmed = {p.path for p in library.find("confirmed:meadow")}
    assert confirmed == set(group) - {misfit}
    assert window.view.kind == "label"
    assert window.view.key == "meadow"


def test_an_album_that_searches_by_text_is_embedded_off_the_gui_thread_then_shown(
    qtbot, open_window, library_dir
):
    window = open_window(library_dir)

    def fill(dialog):
        qtbot.keyClicks(dialog.name, "Reddish")
        qtbot.keyClicks(dialog.query, 'text:"a red photo"')
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()

    answered = answer_next_dialog(qtbot, fill)
    menu_bar_action(window, "Labels", "New Smart Album…").trigger()
    qtbot.waitUntil(lambda: answered == [True], timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.view.kind == "album", timeout=TIMEOUT_MS)
    settle(window)
    with Library(library_dir) as library:
        expected = library.find('text:"a red photo"')
    assert [(p.path, p.score) for p in window.photo_model.photos()] == [
        (p.path, p.score) for p in expected
    ]
    item = window.sidebar.item_for("album", "Reddish")
    qtbot.waitUntil(lambda: item.data(0, COUNTS) == (len(expected),), timeout=TIMEOUT_MS)
