"""The smart-album query language: what each form means, and one-line errors with a column."""

from __future__ import annotations

import pytest

from phototag.core.errors import UserError
from phototag.core.finding.query import (
    And,
    Folder,
    Label,
    Not,
    Or,
    QueryError,
    Taken,
    Text,
    Unlabelled,
    parse,
    quote,
    rename_label,
    terms,
    texts_in,
)


def test_and_binds_tighter_than_or_and_juxtaposition_means_and():
    assert parse("a OR b AND c") == Or(Label("a"), And(Label("b"), Label("c")))
    assert parse("a b") == And(Label("a"), Label("b"))
    assert parse("(a OR b) c") == And(Or(Label("a"), Label("b")), Label("c"))


def test_not_and_minus_negate_and_keywords_take_any_case():
    assert parse("not a and -b") == And(Not(Label("a")), Not(Label("b")))
    assert parse("NOT NOT a") == Not(Not(Label("a")))


def test_label_names_with_spaces_quotes_and_keywords_are_quoted():
    assert parse("\"New York\" OR 'Bob\\'s cat'") == Or(Label("New York"), Label("Bob's cat"))
    assert parse('"say \\"cheese\\""') == Label('say "cheese"')
    assert parse('"AND"') == Label("AND")
    assert parse("sci-fi") == Label("sci-fi")  # a hyphen inside a word is part of the name


@pytest.mark.parametrize(
    "name", ["dog", "New York", 'say "hi"', "Bob's", "and", "unlabelled", "-x", "a:b", "back\\"]
)
def test_quote_gives_a_term_that_parses_back_to_the_name(name):
    assert parse(quote(name)) == Label(name)


def test_fields():
    assert parse("confirmed:dog") == Label("dog", confirmed_only=True)
    assert parse('label:"a b"') == Label("a b")
    assert parse('text:"dog on a sofa"') == Text("dog on a sofa")
    assert parse("folder:~/Pictures") == Folder("~/Pictures")
    assert parse("UNLABELLED") == Unlabelled()
    assert parse("unlabeled") == Unlabelled()


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2023", "2023-01-01", "2023-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2023-12", "2023-12-01", "2023-12-31"),
        ("2021..2022-03-15", "2021-01-01", "2022-03-15"),
        ("..2020", None, "2020-12-31"),
        ("2020-06..", "2020-06-01", None),
    ],
)
def test_taken_ranges_cover_whole_years_months_and_days(text, start, end):
    assert parse(f"taken:{text}") == Taken(start, end)


def test_texts_and_labels_are_listed_in_order():
    tree = parse('text:beach a OR NOT (b text:"sun set")')
    assert texts_in(tree) == ["beach", "sun set"]
    assert [t.name for t in terms(tree) if isinstance(t, Label)] == ["a", "b"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "bad query: the query is empty"),
        ("dog AND", "bad query: expected a label name at the end"),
        ("(dog OR cat", "bad query: this '(' is never closed at column 1 (near '(dog OR cat')"),
        ("dog) cat", "bad query: this ')' has no '(' to close at column 4"),
        ('"New York', 'bad query: this " is never closed at column 1'),
        ("dog OR OR cat", "bad query: expected a label name, found 'OR'"),
        ("taken:2023-13", "bad query: '2023-13' is not a date"),
        ("taken:2023-05-01..2023-04", "the range '2023-05-01..2023-04' ends before it starts"),
        ("taken:soon", "bad query: 'soon' is not a date like 2023"),
        ("text:", "bad query: expected what to search for after 'text:' at the end"),
        ('folder:""', "expected a folder after 'folder:', not an empty text at column 8"),
    ],
)
def test_malformed_queries_fail_in_one_line_naming_the_place(query, message):
    with pytest.raises(QueryError) as raised:
        parse(query)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, UserError)


def test_the_column_is_where_the_mistake_is():
    with pytest.raises(QueryError) as raised:
        parse("a AND (b OR OR c)")
    assert raised.value.position == 12
    assert "at column 13 (near 'OR c)')" in str(raised.value)


def test_renaming_a_label_rewrites_only_its_terms_and_keeps_the_rest_as_written():
    query = 'Rex  AND NOT confirmed:"rex" OR text:"Rex at the beach" OR "Rexy"'
    assert rename_label(query, "REX", "Big dog") == (
        '"Big dog"  AND NOT confirmed:"Big dog" OR text:"Rex at the beach" OR "Rexy"'
    )
    assert parse(rename_label("a b", "b", 'say "hi"')) == And(Label("a"), Label('say "hi"'))
