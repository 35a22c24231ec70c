"""The one scale people read (core/labels/readable.py): a review's scores stay put when the
threshold moves, `predict` keeps its contract, and the slider's stops are one photo apart."""

from __future__ import annotations


def _scores(review) -> dict[str, float | None]:
    groups = (review.suggested, review.near_misses, review.confirmed, review.rejected)
    return {photo.path: photo.score for group in groups for photo in group}


def test_review_scores_stay_put_when_the_threshold_moves_and_predict_keeps_its_score(
    library, photo_set
):
    made = photo_set[1]
    library.tag("red", made["red"][:3])
    automatic = library.review("red")
    assert list(automatic.stops) == sorted(automatic.stops, reverse=True)
    assert len(set(automatic.stops)) == len(automatic.stops)
    chosen = automatic.stops[1]
    library.set_threshold("red", chosen)
    moved = library.review("red")

    assert len(moved.suggested) == 2  # the threshold at stops[k - 1] suggests k photos
    before, after = _scores(automatic), _scores(moved)
    common = before.keys() & after.keys()
    assert len(common) >= 5
    assert {path: after[path] for path in common} == {path: before[path] for path in common}
    second = moved.suggested[1].path
    assert moved.stop_scores[1] == after[second]  # the readout is that photo's badge
    asked = {item.path: item.score for item in library.help_queue("red")}
    assert asked.keys() & after.keys()
    assert all(asked[path] == after[path] for path in asked.keys() & after.keys())
    predicted = {p.path: p.labels["red"].score for p in library.predictions("red")}
    assert predicted[second] == 0.5  # predict: 0.5 at the effective threshold (the contract)


def test_the_stops_reach_down_to_a_threshold_set_below_the_floor(library, photo_set):
    made = photo_set[1]
    library.tag("red", made["red"][:3])
    lowest = min(library.review("red").stops)
    library.set_threshold("red", lowest - 0.2)
    review = library.review("red")
    assert min(review.stops) >= lowest - 0.2
    assert min(review.stops) < lowest
    assert len(review.suggested) == len(review.stops)
