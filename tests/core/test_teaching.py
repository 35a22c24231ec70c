"""The Library's help queue and label health, on generated photos with the tiny model."""

from __future__ import annotations

import os

from phototag.core.teaching import CONFIDENCE, WILSON_Z, wilson_interval


def test_the_queue_never_returns_a_decided_photo_and_shrinks_as_photos_are_decided(
    library, photo_set
):
    made = photo_set[1]
    library.tag("red", made["red"][:3])
    decided = {os.path.realpath(p) for p in made["red"][:3]}
    for _ in range(4):
        queue = library.help_queue("red", 8)
        paths = [item.path for item in queue]
        assert len(paths) == len(set(paths)) == 8
        assert not decided & set(paths)
        truly_red = [p for p in paths if "/red/" in p or "red_" in os.path.basename(p)]
        others = [p for p in paths if p not in truly_red]
        if truly_red:
            library.tag("red", truly_red)
        if others:
            library.reject("red", others)
        decided.update(paths)
    photos = len(library.photos())
    assert len(library.help_queue("red", photos)) == photos - len(decided)


def test_health_counts_and_warnings_follow_the_users_reviews(library, photo_set):
    made = photo_set[1]
    library.tag("red", made["red"][:1])
    (red,) = library.label_health()
    assert (red.examples, red.rejections, red.reviewed) == (1, 0, 0)
    assert red.precision is None
    assert red.precision_interval is None
    assert red.weak
    assert red.warnings[0].startswith("only one example")

    was_suggested = {p.path for p in library.review("red").suggested}
    confirmed_suggestions = sum(os.path.realpath(p) in was_suggested for p in made["red"][1:3])
    library.tag("red", made["red"][1:3])
    suggested = [p.path for p in library.review("red").suggested]
    wrong = [p for p in suggested if "/red/" not in p][:3]
    right = [p for p in suggested if "/red/" in p][:1]
    library.reject("red", wrong)
    library.tag("red", right)
    (red,) = library.label_health()
    hits = confirmed_suggestions + len(right)
    assert (red.examples, red.rejections) == (3 + len(right), len(wrong))
    assert red.reviewed == hits + len(wrong)
    assert red.precision == hits / (hits + len(wrong))
    assert red.unreviewed == len([p for p in library.review("red").suggested])
    assert red.precision_interval is not None
    if red.precision_interval[1] < 0.8:
        assert red.weak
        assert "often wrong" in red.warnings[-1]


def test_a_label_from_one_photo_without_a_prompt_sits_on_the_fallback_threshold(library, photo_set):
    library.tag("red", photo_set[1]["red"][:1])
    assert library.label_health()[0].fallback_threshold
    library.tag("red", photo_set[1]["red"][1:2])
    assert not library.label_health()[0].fallback_threshold


def test_wilson_interval_equals_scipys_to_the_bit():
    from scipy.special import ndtri
    from scipy.stats import binomtest

    assert ndtri(0.5 + 0.5 * CONFIDENCE) == WILSON_Z
    for trials in (1, 2, 3, 7, 20, 101):
        for successes in range(trials + 1):
            interval = binomtest(successes, trials).proportion_ci(CONFIDENCE, method="wilson")
            assert wilson_interval(successes, trials) == (interval.low, interval.high)


def test_wilson_interval_is_honest_about_few_reviews():
    low, high = wilson_interval(3, 3)
    assert round(low, 2) == 0.44
    assert high == 1.0
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(50, 100)
    assert 0.40 < low < 0.41
    assert 0.59 < high < 0.60
