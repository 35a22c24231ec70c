"""Finding through the Library: queries, more like this, smart albums, groups worth naming and
every score for batch users, on the scanned library of generated colour photos."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from phototag.core.errors import UserError
from phototag.core.library import Library


def names(photos) -> set[str]:
    return {p.path for p in photos}


def paths(made, *keys) -> set[str]:
    return {str(p) for key in keys for p in made[key]}


@pytest.fixture
def tagged(library, photo_set):
    """red confirmed on four red photos, "blue sky" on four blue, one green rejected for red."""
    _, made = photo_set
    library.tag("red", made["red"][:4])
    library.tag("blue sky", made["blue"][:4])
    library.reject("red", made["green"][:1])
    return library, made


def carrying(library: Library, label: str) -> set[str]:
    return names(library.photos(all_of=[label]))


# ----- queries ---------------------------------------------------------------------------------


def test_boolean_queries_combine_label_sets_exactly(tagged):
    library, _ = tagged
    red, blue = carrying(library, "red"), carrying(library, "blue sky")
    everything = names(library.photos())
    assert names(library.find("red")) == red
    assert names(library.find('red OR "blue sky"')) == red | blue
    assert names(library.find('red AND "blue sky"')) == red & blue
    assert names(library.find('red "blue sky"')) == red & blue
    assert names(library.find('NOT red AND NOT "blue sky"')) == everything - red - blue
    assert names(library.find('-(red OR "blue sky")')) == everything - red - blue
    assert names(library.find("unlabelled")) == everything - red - blue


def test_confirmed_only_leaves_out_the_model_s_suggestions(tagged):
    library, made = tagged
    assert names(library.find("confirmed:red")) == {str(p) for p in made["red"][:4]}
    assert names(library.find("confirmed:red")) < carrying(library, "red")


def test_a_label_whose_name_has_quotes_works_quoted(tagged):
    library, made = tagged
    library.tag('Bob\'s "best"', made["yellow"][:2])
    found = library.find('confirmed:"Bob\'s \\"best\\""')
    assert names(found) == {str(p) for p in made["yellow"][:2]}


def test_folder_and_date_taken_terms(tagged, photo_set):
    library, made = tagged
    root, _ = photo_set
    assert names(library.find(f'folder:"{root / "green"}"')) == paths(made, "green")
    first, second = made["yellow"][:2]
    with library.store.transaction() as conn:  # the generated photos carry no EXIF date
        for path, day in ((first, "2023-06-15T10:00:00"), (second, "2024-01-02T08:00:00")):
            conn.execute(
                "UPDATE images SET taken_at = ? WHERE id = "
                "(SELECT image_id FROM files WHERE path = ?)",
                (day, str(path)),
            )
    assert names(library.find("taken:2023")) == {str(first)}
    assert names(library.find("taken:2023-06-15..2024-01-02")) == {str(first), str(second)}
    assert names(library.find("taken:2024-01..")) == {str(second)}
    assert names(library.find("NOT taken:..2030")) == names(library.photos()) - {
        str(first),
        str(second),
    }


def test_text_terms_rank_by_meaning_like_the_search_box(tagged):
    library, _ = tagged
    searched = library.search("a red photo")
    found = library.find('text:"a red photo"')
    assert [p.path for p in found] == [p.path for p in searched]
    assert [p.score for p in found] == [p.score for p in searched]
    within = library.find('text:"a red photo" AND NOT red')
    assert [p.path for p in within] == [
        p.path for p in searched if p.path not in carrying(library, "red")
    ]


def test_an_unknown_label_and_a_malformed_query_are_one_line_user_errors(tagged):
    library, _ = tagged
    with pytest.raises(UserError, match="no label named 'purple'"):
        library.find("red OR purple")
    with pytest.raises(UserError, match=r"bad query: .* at column 9"):
        library.find("red AND OR")


# ----- more like this ------------------------------------------------------------------------


def _embedding(library: Library, path) -> np.ndarray:
    """The photo's embedding, found through the search by meaning: its cosine with itself."""
    view = library._labels.view()
    image = library.store.scalar("SELECT image_id FROM files WHERE path = ?", (str(path),))
    return view.matrix.embeddings[view.matrix.row(image)]


def test_more_like_this_ranks_by_cosine_to_the_photos_and_leaves_them_out(tagged):
    library, made = tagged
    seeds = made["green"][:2]
    found = library.similar(seeds)
    assert not names(found) & {str(p) for p in seeds}
    direction = _embedding(library, seeds[0]) + _embedding(library, seeds[1])
    direction /= np.linalg.norm(direction)
    expected = {p.path: float(_embedding(library, p.path) @ direction) for p in found}
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    assert all(math.isclose(p.score, expected[p.path], abs_tol=1e-4) for p in found)
    top = names(found[:8])
    assert top <= paths(made, "green", "green+blue", "red+green")


def test_photos_to_leave_out_push_the_ranking_away_from_them(tagged):
    library, made = tagged
    plain = library.similar(made["green"][:1], limit=200)
    away = library.similar(made["green"][:1], not_paths=made["yellow"][:3], limit=200)
    rank = {p.path: i for i, p in enumerate(plain)}
    rank_away = {p.path: i for i, p in enumerate(away)}
    yellow = [str(p) for p in made["yellow"][3:]]
    assert sum(rank_away[p] for p in yellow) > sum(rank[p] for p in yellow)


def test_more_like_this_combines_with_labels_and_queries(tagged):
    library, made = tagged
    red = carrying(library, "red")
    assert names(library.similar(made["red"][:1], all_of=["red"])) <= red
    assert names(library.similar(made["red"][:1], where="NOT red")).isdisjoint(red)
    assert len(library.similar(made["red"][:1], limit=3)) == 3


def test_more_like_a_photo_outside_the_library_is_a_user_error(tagged, tmp_path):
    library, _ = tagged
    with pytest.raises(UserError, match="not a photo in this library"):
        library.similar([tmp_path / "nowhere.jpg"])


# ----- smart albums ----------------------------------------------------------------------------


def test_an_album_keeps_its_query_and_its_count_is_live(tagged, library_dir):
    library, made = tagged
    assert library.save_album("Warm", 'red AND NOT "blue sky"') == "Warm"
    before = library.albums()
    assert [(a.name, a.query) for a in before] == [("Warm", 'red AND NOT "blue sky"')]
    assert before[0].count == len(library.find('red AND NOT "blue sky"'))
    library.untag("red", made["red"][:4])
    assert library.albums()[0].count == len(library.find('red AND NOT "blue sky"'))
    library.close()
    with Library(library_dir) as reopened:
        assert reopened.album_query("warm") == 'red AND NOT "blue sky"'


def test_a_malformed_album_is_never_saved_and_removing_one_touches_no_label(tagged):
    library, _ = tagged
    with pytest.raises(UserError, match="bad query"):
        library.save_album("Broken", "red AND (")
    assert library.albums() == []
    library.save_album("Reds", "red")
    library.save_album("reds", "confirmed:red")  # the same album, in any case
    assert [(a.name, a.query) for a in library.albums()] == [("Reds", "confirmed:red")]
    labels_before = library.labels()
    library.remove_album("REDS")
    assert library.albums() == []
    assert library.labels() == labels_before
    with pytest.raises(UserError, match="no album named"):
        library.remove_album("Reds")


def test_an_album_follows_its_label_when_the_label_is_renamed(tagged):
    library, _ = tagged
    library.save_album("Skies", 'confirmed:"blue sky" OR red')
    before = names(library.album_photos("Skies"))
    library.rename_label("Blue Sky", "azure")
    assert library.album_query("Skies") == "confirmed:azure OR red"
    assert names(library.album_photos("Skies")) == before


def test_undoing_a_rename_gives_the_albums_their_words_back(tagged):
    library, _ = tagged
    library.save_album("Skies", 'confirmed:"blue sky" OR red')
    library.rename_label("Blue Sky", "azure")
    library.undo()
    assert library.album_query("Skies") == 'confirmed:"blue sky" OR red'
    library.redo()
    assert library.album_query("Skies") == "confirmed:azure OR red"


def test_an_album_naming_a_deleted_label_says_so_instead_of_failing(tagged):
    library, _ = tagged
    library.save_album("Skies", '"blue sky"')
    library.remove_label("blue sky")
    (album,) = library.albums()
    assert album.count is None
    assert "no label named 'blue sky'" in album.problem


def test_album_texts_can_be_embedded_elsewhere_and_remembered(tagged):
    library, _ = tagged
    library.save_album("Reddish", 'text:"a red photo"')
    assert library.query_texts() == ["a red photo"]
    assert library.albums(embed=False)[0].count is None
    library.remember_text("a red photo", library.embed_text("a red photo"))
    assert library.query_texts() == []
    assert library.albums(embed=False)[0].count == len(library.find('text:"a red photo"'))


# ----- groups worth naming -------------------------------------------------------------------


def test_discovered_groups_are_unlabelled_look_alikes_largest_first(tagged):
    library, made = tagged
    labelled = carrying(library, "red") | carrying(library, "blue sky")
    groups = library.discover()
    assert groups
    sizes = [len(g.photos) for g in groups]
    assert sizes == sorted(sizes, reverse=True)
    for group in groups:
        members = names(group.photos)
        assert not members & labelled
        # The random test model tells solid colours apart, and a two-colour photo from a solid
        # one, but not reliably which two colours a split photo has: those are one kind here.
        kinds = [_kind(made, m) for m in members]
        assert max(kinds.count(k) for k in kinds) >= 0.8 * len(kinds)
        closeness = [p.score for p in group.photos]
        assert closeness == sorted(closeness, reverse=True)
        assert math.isclose(group.tightness, float(np.mean(closeness)), abs_tol=1e-3)


def _kind(made: dict[str, list[Path]], member: str) -> str:
    key = next(k for k, v in made.items() if any(str(p) == member for p in v))
    return "two colours" if "+" in key else key


def test_a_fully_labelled_library_has_nothing_to_discover(library, photo_set):
    _, made = photo_set
    library.tag("anything", [p for photos in made.values() for p in photos])
    assert library.discover() == []


# ----- every score for batch users ------------------------------------------------------------


def test_all_scores_lists_every_label_on_every_photo_with_the_same_scores(tagged):
    library, _ = tagged
    carried = {p.path: p.labels for p in library.predictions()}
    every = list(library.predictions(all_scores=True))
    assert len(every) == len(carried)
    for prediction in every:
        assert set(prediction.labels) == {"red", "blue sky"}
        for name, score in carried[prediction.path].items():
            assert prediction.labels[name] == score


def test_min_score_is_the_user_s_own_cut_off(tagged, photo_set):
    library, made = tagged
    every = {p.path: p.labels for p in library.predictions(all_scores=True)}
    above = {p.path: p.labels for p in library.predictions(min_score=0.3)}
    rejected = str(made["green"][0])
    for path, labels in every.items():
        expected = {
            name
            for name, score in labels.items()
            if score.confirmed or (score.score >= 0.3 and not (name == "red" and path == rejected))
        }
        assert set(above[path]) == expected
    anything = {p.path: p.labels for p in library.predictions(min_score=0.0)}
    assert "red" in every[rejected]
    assert "red" not in anything[rejected]  # the user said no: no cut-off brings it back
    assert set(anything[str(made["red"][5])]) == {"red", "blue sky"}
    with pytest.raises(UserError, match="between 0 and 1"):
        list(library.predictions(min_score=2))
    with pytest.raises(UserError, match="not both"):
        list(library.predictions(min_score=0.5, all_scores=True))


def test_predictions_of_an_album_are_its_photos_only(tagged):
    library, _ = tagged
    library.save_album("Reds", "confirmed:red")
    chosen = [p.path for p in library.predictions(album="Reds")]
    assert chosen == sorted(names(library.find("confirmed:red")))


def test_a_label_term_holds_what_the_label_listing_holds_after_the_users_overrules(tagged):
    """The query reads one label's decisions (ModelView.decided), the listing every label's
    (decisions()): a suggestion the user rejects leaves both, a low-scoring photo the user
    confirms joins both."""
    library, _ = tagged
    suggested = library.review("red").suggested
    low = library.review("red").near_misses or suggested[::-1]
    library.reject("red", [suggested[0].path])
    library.tag("red", [low[0].path])
    found = names(library.find("red"))
    assert found == carrying(library, "red")
    assert suggested[0].path not in found
    assert low[0].path in found
    assert names(library.find("unlabelled")) == names(library.photos()) - {
        p for label in ("red", "blue sky") for p in carrying(library, label)
    }
