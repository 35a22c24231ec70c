"""What the GUI reads from a Library: listings, details, label reviews, search, thumbnails."""

from __future__ import annotations

import numpy as np
import pytest

from phototag.core.errors import UserError
from phototag.core.ingest.decode import UnreadableImage
from phototag.core.ingest.thumbnails import THUMBNAIL_SIDE, ThumbnailCache


def test_photos_lists_present_files_and_filters_by_labels_and_folder(library, photo_set):
    root, made = photo_set
    everything = library.photos()
    assert len(everything) == sum(len(p) for p in made.values())
    assert [p.path for p in everything] == sorted(p.path for p in everything)

    library.tag("red", made["red"][:3])
    library.tag("blue", made["blue"][:3])
    red = {p.path for p in library.photos(all_of=["red"])}
    blue = {p.path for p in library.photos(all_of=["blue"])}
    assert {str(p) for p in made["red"][:3]} <= red
    assert {p.path for p in library.photos(any_of=["red", "blue"])} == red | blue
    assert {p.path for p in library.photos(all_of=["red", "blue"])} == red & blue
    in_green = library.photos(folder=str(root / "green"))
    assert {p.path for p in in_green} == {str(p) for p in made["green"]}
    with pytest.raises(UserError):
        library.photos(all_of=["no such label"])


def test_review_splits_a_label_into_confirmed_suggested_near_misses_and_rejected(
    library, photo_set
):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    library.reject("red", made["red+green"][:1])
    review = library.review("red")

    assert {p.path for p in review.confirmed} == {str(p) for p in made["red"][:3]}
    assert [p.path for p in review.rejected] == [str(made["red+green"][0])]
    suggested = [p.score for p in review.suggested]
    assert suggested == sorted(suggested, reverse=True)
    assert all(score >= 0.5 for score in suggested)
    assert all(p.score < 0.5 for p in review.near_misses)
    shown = [
        p.path
        for group in (review.confirmed, review.suggested, review.near_misses, review.rejected)
        for p in group
    ]
    assert len(shown) == len(set(shown))
    low, high = review.score_range
    assert low <= review.threshold <= high
    assert review.threshold_is_automatic

    library.set_threshold("red", high)
    assert len(library.review("red").suggested) < len(suggested)


def test_photo_details_carry_each_label_state(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    library.reject("red", made["red"][3:4])
    photo = library.photo(made["red"][0])
    assert (photo.width, photo.height) == (320, 240)
    assert photo.size == made["red"][0].stat().st_size
    assert [(label.name, label.state) for label in photo.labels] == [("red", "confirmed")]
    assert library.photo(made["red"][3]).labels[0].state == "rejected"
    suggested = library.review("red").suggested[0].path
    assert library.photo(suggested).labels[0].state == "suggested"
    with pytest.raises(UserError):
        library.photo("/no/such/photo.jpg")


def test_search_ranks_by_one_product_with_the_text_embedding(library, photo_set):
    _, made = photo_set
    found = library.search("a red photo", limit=10)
    assert len(found) == 10
    scores = [p.score for p in found]
    assert scores == sorted(scores, reverse=True)
    vector = library.embed_text("a red photo")
    assert [p.path for p in library.search(vector, limit=10)] == [p.path for p in found]
    library.tag("green", made["green"][:3])
    carrying = {p.path for p in library.photos(all_of=["green"])}
    assert {p.path for p in library.search(vector, all_of=["green"])} <= carrying
    with pytest.raises(UserError):
        library.embed_text("   ")


def test_reload_sees_what_another_library_object_wrote(library, library_dir, photo_set):
    from phototag.core.library import Library

    _, made = photo_set
    assert library.labels() == []
    with Library(library_dir) as other:
        other.tag("blue", made["blue"][:3])
    library.reload()
    assert [label.name for label in library.labels()] == ["blue"]


def test_thumbnails_are_cached_by_content_hash(tmp_path, photo_set):
    _, made = photo_set
    cache = ThumbnailCache(tmp_path / "thumbnails")
    made_path = cache.get(made["red"][0], "ab" * 32)
    assert made_path == tmp_path / "thumbnails" / "ab" / f"{'ab' * 32}.jpg"
    from PIL import Image

    with Image.open(made_path) as image:
        assert min(image.size) == min(THUMBNAIL_SIDE, 240)
    stamp = made_path.stat().st_mtime_ns
    assert cache.get(made["blue"][0], "ab" * 32) == made_path  # same hash: not made again
    assert made_path.stat().st_mtime_ns == stamp
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    with pytest.raises(UnreadableImage):
        cache.get(broken, "cd" * 32)
    assert list((tmp_path / "thumbnails").rglob("*.part")) == []


def test_a_reviews_refs_are_made_when_read_and_behave_as_a_list(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    suggested = library.review("red").suggested
    as_list = list(suggested)
    assert len(as_list) == len(suggested) > 3
    assert suggested == as_list
    assert as_list == suggested
    assert list(suggested[1:3]) == as_list[1:3]
    assert [suggested[i] for i in range(len(suggested))] == as_list
    assert suggested[-1] == as_list[-1]
    assert suggested.row_of(as_list[2].path) == 2
    assert suggested.rows_of({as_list[3].path, as_list[0].path, "/not/here"}) == [0, 3]
    assert suggested[:2] + as_list[2:] == as_list
    assert as_list[:1] + suggested[1:] == as_list
    assert suggested.same_rows(as_list)
    assert not suggested.same_rows(as_list[::-1])


def test_a_reviews_marks_read_per_path_give_each_photos_group_and_score(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    library.reject("red", made["red+green"][:1])
    review = library.review("red")
    groups = {"confirmed": review.confirmed, "suggested": review.suggested}
    groups["rejected"] = review.rejected
    expected = {p.path: (mark, p.score) for mark, refs in groups.items() for p in refs}

    marks = review.marks()
    assert dict(marks) == expected
    assert all(marks[path] == mark for path, mark in expected.items())
    unmarked = next(p.path for p in library.photos() if p.path not in expected)
    assert marks.get(unmarked) is None
    marks[unmarked] = ("near", 0.25)
    marks.setdefault(unmarked, ("near", 0.5))
    assert marks[unmarked] == ("near", 0.25)
    assert review.marks().get(unmarked) is None  # each call gives a map of its own
    del marks[unmarked]
    assert unmarked not in marks
    assert len(marks) == len(expected)


def test_marks_of_two_reviews_tell_which_photos_a_decision_changed(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    before = library.review("red").marks()
    library.tag("red", made["red"][3:4])
    library.reject("red", made["red+green"][:1])
    after = library.review("red").marks()

    changed = after.differs(before)
    assert changed is not None
    paths = after.files.paths
    flagged = {paths[i] for i in np.flatnonzero(changed)}
    really = {p for p in paths if before.get(p) != after.get(p)}
    assert really
    assert really <= flagged
    assert not flagged & {p for p in paths if before.get(p) is None and after.get(p) is None}


def test_the_listing_sees_files_another_library_object_scanned(writable_photos, photo_set):
    """The file index is read again after any connection's write, and only then."""
    import shutil

    from phototag.core.library import Library

    root, folder = writable_photos
    with Library(root) as library:
        assert len(library.photos()) == 6
        assert library.photos() == library.photos()
        shutil.copy(photo_set[1]["green"][0], folder / "new-green.png")
        with Library(root) as other:
            other.scan(model="tiny-random")
        assert str(folder / "new-green.png") in {p.path for p in library.photos()}


def test_suggested_counts_are_right_after_every_kind_of_decision(library, library_dir, photo_set):
    """The counts are kept per label between listings; each must equal a fresh library's."""
    from phototag.core.library import Library

    _, made = photo_set

    def counts(of) -> dict[str, int]:
        return {info.name: info.suggested for info in of.labels()}

    def assert_fresh() -> None:
        with Library(library_dir) as fresh:
            assert counts(library) == counts(fresh)
            assert library.labels() == fresh.labels()  # confirmed and rejected too

    library.tag("red", made["red"][:3])
    library.tag("blue", made["blue"][:3])
    assert_fresh()
    first = counts(library)
    library.tag("red", [library.review("red").suggested[0].path])
    assert counts(library)["red"] == first["red"] - 1
    assert counts(library)["blue"] == first["blue"]
    assert_fresh()
    library.reject("red", [library.review("red").suggested[0].path])
    assert_fresh()
    library.set_threshold("red", library.review("red").stops[2])
    assert counts(library)["red"] == 3
    assert_fresh()
    library.untag("red", made["red"][:1])
    assert_fresh()
    library.undo()
    assert_fresh()
    with Library(library_dir) as other:
        other.tag("blue", made["blue"][3:4])
    library.tag("blue", made["blue"][4:5])  # catches up with the other library's example
    assert_fresh()


def test_a_reviews_slider_stops_read_as_floats_and_as_one_array(library, photo_set):
    _, made = photo_set
    library.tag("red", made["red"][:3])
    review = library.review("red")
    stops, scores = list(review.stops), list(review.stop_scores)
    assert len(stops) == len(scores) > 2
    assert all(type(stop) is float for stop in stops)
    assert np.asarray(review.stops, dtype=np.float64).tolist() == stops
    assert list(review.stops[1:3]) == stops[1:3]
    assert scores == [round(score, 4) for score in scores]
    assert review.stop_scores == scores
