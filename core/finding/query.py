"""The smart-album query language: labels combined with AND, OR, NOT and parentheses, plus text
by meaning, folder, date taken and "unlabelled".

    beach AND NOT "New York"          a label name; quote it when it has spaces or quotes
    confirmed:dog OR cat              confirmed: only what the user confirmed
    text:"dog on a sofa"              by meaning (CLIP's text tower)
    folder:~/Pictures/2023            photos below a folder
    taken:2023-06  taken:2021..2022-03-15  taken:..2020   a date taken range (inclusive)
    unlabelled                        photos that carry no label at all
    dog cat                           two terms side by side: both (AND binds tighter than OR)

A parser written here rather than a library: the grammar is six rules, and a hand-written
recursive descent reports errors in the user's words with the exact column ("expected ')' at
column 15"), which is the one thing a malformed query needs. Lark and pyparsing would be a new
dependency (pyparsing only arrives through matplotlib) whose messages speak of tokens.

Grammar (keywords in any case; a label named like one is quoted):
    query   := either EOF
    either  := both ("OR" both)*
    both    := negated (["AND"] negated)*
    negated := "NOT" negated | "-" negated | atom
    atom    := "(" either ")" | "unlabelled" | FIELD ":" value | value
    value   := WORD | "double quoted" | 'single quoted'      (backslash escapes a quote)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from phototag.core.errors import UserError

KEYWORDS = {"and", "or", "not"}
UNLABELLED = {"unlabelled", "unlabeled"}
FIELDS = ("label", "confirmed", "text", "folder", "taken")
_WORD_END = set(" \t\n()\"'")


class QueryError(UserError):
    """A malformed query: one line saying what was expected and at which column."""

    def __init__(self, message: str, position: int, query: str):
        self.position = position
        where = "at the end" if position >= len(query) else f"at column {position + 1}"
        near = "" if position >= len(query) else f" (near {query[position : position + 20]!r})"
        super().__init__(f"bad query: {message} {where}{near}")


# ----- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    name: str
    confirmed_only: bool = False


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Folder:
    path: str


@dataclass(frozen=True)
class Taken:
    """Inclusive ISO dates (None: open); EXIF times compare as text against them."""

    start: str | None
    end: str | None


@dataclass(frozen=True)
class Unlabelled:
    pass


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


Node = Label | Text | Folder | Taken | Unlabelled | Not | And | Or


def terms(node: Node) -> list[Node]:
    """The leaves of a query, left to right."""
    if isinstance(node, Not):
        return terms(node.operand)
    if isinstance(node, And | Or):
        return terms(node.left) + terms(node.right)
    return [node]


def texts_in(node: Node) -> list[str]:
    """The texts to embed before the query can run, in order of appearance."""
    return [term.text for term in terms(node) if isinstance(term, Text)]


# ----- tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "(" | ")" | "-" | "word" | "quoted" | "field" | "end"
    text: str
    position: int
    end: int  # where the token's source text ends (quotes and escapes included)


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(query):
        char = query[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(Token(char, char, position, position + 1))
            position += 1
        elif char == "-" and not tokens_end_in_field(tokens):
            tokens.append(Token("-", char, position, position + 1))
            position += 1
        elif char in "\"'":
            text, position_after = _quoted(query, position)
            tokens.append(Token("quoted", text, position, position_after))
            position = position_after
        else:
            tokens.append(_word_or_field(query, position))
            position = tokens[-1].end
    tokens.append(Token("end", "", len(query), len(query)))
    return tokens


def tokens_end_in_field(tokens: list[Token]) -> bool:
    """After 'taken:' a '-' belongs to the value, never a negation."""
    return bool(tokens) and tokens[-1].kind == "field"


def _quoted(query: str, start: int) -> tuple[str, int]:
    quote, position, text = query[start], start + 1, []
    while position < len(query):
        char = query[position]
        if char == "\\" and position + 1 < len(query):
            text.append(query[position + 1])
            position += 2
        elif char == quote:
            return "".join(text), position + 1
        else:
            text.append(char)
            position += 1
    raise QueryError(f"this {quote} is never closed", start, query)


def _word_or_field(query: str, start: int) -> Token:
    end = start
    while end < len(query) and query[end] not in _WORD_END:
        if query[end] == ":" and query[start:end].lower() in FIELDS:
            return Token("field", query[start:end].lower(), start, end + 1)
        end += 1
    return Token("word", query[start:end], start, end)


# ----- the parser ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = tokenize(query)
        self.at = 0
        self.label_tokens: list[Token] = []  # where each label name was written

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def fail(self, message: str, token: Token | None = None) -> QueryError:
        return QueryError(message, (token or self.token).position, self.query)

    def keyword(self, word: str) -> bool:
        if self.token.kind == "word" and self.token.text.lower() == word:
            self.at += 1
            return True
        return False

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise self.fail('the query is empty: type a label, or text:"words"')
        node = self.either()
        if self.token.kind == ")":
            raise self.fail("this ')' has no '(' to close")
        if self.token.kind != "end":
            raise self.fail("expected AND, OR or the end of the query")
        return node

    def either(self) -> Node:
        node = self.both()
        while self.keyword("or"):
            node = Or(node, self.both())
        return node

    def both(self) -> Node:
        node = self.negated()
        while True:
            if self.keyword("and") or self.starts_term():
                node = And(node, self.negated())
            else:
                return node

    def starts_term(self) -> bool:
        token = self.token
        if token.kind in ("(", "-", "quoted", "field"):
            return True
        return token.kind == "word" and token.text.lower() not in KEYWORDS

    def negated(self) -> Node:
        if self.keyword("not") or self.skip("-"):
            return Not(self.negated())
        return self.atom()

    def skip(self, kind: str) -> bool:
        if self.token.kind == kind:
            self.at += 1
            return True
        return False

    def atom(self) -> Node:
        token = self.token
        if self.skip("("):
            node = self.either()
            if not self.skip(")"):
                raise self.fail("this '(' is never closed", token)
            return node
        if token.kind == "field":
            self.at += 1
            return self.field(token)
        if token.kind == "word" and token.text.lower() in UNLABELLED:
            self.at += 1
            return Unlabelled()
        return Label(self.label_value("a label name"))

    def label_value(self, what: str) -> str:
        token = self.token
        name = self.value(what)
        self.label_tokens.append(token)
        return name

    def value(self, what: str) -> str:
        token = self.token
        if token.kind == "quoted" or (token.kind == "word" and token.text.lower() not in KEYWORDS):
            self.at += 1
            if not token.text.strip():
                raise self.fail(f"expected {what}, not an empty text", token)
            return token.text
        if token.kind == "end":
            raise self.fail(f"expected {what}")
        raise self.fail(f"expected {what}, found {token.text!r} (a label named so needs quotes)")

    def field(self, field: Token) -> Node:
        if field.text == "label":
            return Label(self.label_value("a label name after 'label:'"))
        if field.text == "confirmed":
            name = self.label_value("a label name after 'confirmed:'")
            return Label(name, confirmed_only=True)
        if field.text == "text":
            return Text(self.value("what to search for after 'text:'"))
        if field.text == "folder":
            return Folder(self.value("a folder after 'folder:'"))
        token = self.token
        return _taken(self.value("a date or range after 'taken:'"), token, self)


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def _taken(text: str, token: Token, parser: _Parser) -> Taken:
    start_text, dots, end_text = text.partition("..")
    if not dots:
        end_text = start_text
    start = _bound(start_text, token, parser, first=True) if start_text else None
    end = _bound(end_text, token, parser, first=False) if end_text else None
    if start is None and end is None:
        raise parser.fail("expected a date on at least one side of '..'", token)
    if start is not None and end is not None and start > end:
        raise parser.fail(f"the range {text!r} ends before it starts", token)
    return Taken(start, end)


def _bound(text: str, token: Token, parser: _Parser, first: bool) -> str:
    """The first or last day a partial date (2023, 2023-06, 2023-06-15) covers, ISO."""
    found = _DATE.match(text)
    if found is None:
        raise parser.fail(f"{text!r} is not a date like 2023, 2023-06 or 2023-06-15", token)
    year = int(found[1])
    try:
        if found[2] is None:
            return date(year, 1, 1).isoformat() if first else date(year, 12, 31).isoformat()
        month = int(found[2])
        if found[3] is None:
            start = date(year, month, 1)
            after = date(year + month // 12, month % 12 + 1, 1)
            return (start if first else after - timedelta(days=1)).isoformat()
        return date(year, month, int(found[3])).isoformat()
    except ValueError as exc:
        raise parser.fail(f"{text!r} is not a date ({exc})", token) from None


def parse(query: str) -> Node:
    """The tree of a query, or a QueryError naming the column where it went wrong."""
    return _Parser(query).parse()


def rename_label(query: str, old: str, new: str) -> str:
    """The query with every term naming label `old` (in any case, as label names compare)
    naming `new`; the rest of the text stays as the user wrote it."""
    parser = _Parser(query)
    parser.parse()
    for token in reversed(parser.label_tokens):
        if token.text.casefold() == old.casefold():
            query = query[: token.position] + quote(new) + query[token.end :]
    return query


def quote(name: str) -> str:
    """A label name as a query term: bare when it can be, else quoted with escapes."""
    if (
        name
        and not any(c in _WORD_END or c in ":-\\" for c in name)
        and (name.lower() not in KEYWORDS | UNLABELLED)
    ):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
