"""Learning keywords as labels on a real library database: the user's label tree wins over a
keyword's hierarchy, and never becomes a loop."""

from __future__ import annotations

import pytest

from phototag.core.interop import keywords
from phototag.core.interop.xmp import HIERARCHICAL
from phototag.core.store import ingest as ingest_sql
from phototag.core.store import keywords as keywords_sql
from phototag.core.store.database import Store


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "lib")
    yield opened
    opened.close()


def _learn(store: Store, *hierarchies: str) -> keywords.ImportReport:
    """Import one photo whose sidecar holds these hierarchical keywords."""
    with store.transaction():
        image_id = ingest_sql.upsert_image(store, "a" * 64, 4, 3, None)
    report = keywords.ImportReport()
    found = [("/photos/a.jpg", image_id, {HIERARCHICAL: list(hierarchies)})]
    keywords.learn(store, found, str, report)
    return report


def _parents(store: Store) -> dict[str, str | None]:
    nodes = keywords_sql.label_tree(store)
    names = {node.id: node.name for node in nodes}
    return {node.name: names.get(node.parent) if node.parent else None for node in nodes}


def test_a_keyword_hierarchy_becomes_labels_with_parents(store):
    report = _learn(store, "animals|dog")

    assert _parents(store) == {"animals": None, "dog": "animals"}
    assert report.labels_created == ["animals", "dog"]
    assert report.examples_added == 1  # the photo is an example of the leaf only
    assert keywords.label_paths(store) == {"animals": ("animals",), "dog": ("animals", "dog")}


def test_a_hierarchy_upside_down_to_the_users_tree_makes_no_loop(store):
    _learn(store, "animals|dog")

    report = _learn(store, "dog|animals")

    assert _parents(store) == {"animals": None, "dog": "animals"}
    assert report.labels_created == []
    assert report.examples_added == 1
