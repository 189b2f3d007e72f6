"""The ``/filter`` language: a tiny SQL predicate grammar, parsed to an AST and compiled.

Accepted (the subset the Hub documents, plus IS NULL, LIKE and IN)::

    where   := or
    or      := and ("OR" and)*
    and     := not ("AND" not)*
    not     := "NOT" not | "(" or ")" | cmp
    cmp     := column op literal | column "IS" ["NOT"] "NULL"
             | column ["NOT"] "LIKE" string | column ["NOT"] "IN" "(" literal ("," literal)* ")"
    op      := = | <> | != | < | <= | > | >=
    column  := "double quoted" | bare_identifier
    literal := number | 'single quoted' | TRUE | FALSE | NULL
    orderby := column ["ASC" | "DESC"] ("," column ["ASC" | "DESC"])*

Columns must exist in the split's schema; literals become bound parameters. User text is
never pasted into SQL: the compiler emits only operators from a fixed table, identifiers
re-quoted from the schema, and ``?`` placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_noop

from nbopen.core.errors import Explained
from nbopen.datasets.duck import quote_ident

MAX_LENGTH = 4000
MAX_NODES = 200
MAX_DEPTH = 32
OPERATORS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "LIKE", "IN", "ASC", "DESC"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<qident>"(?:[^"]|"")*")
    | (?P<string>'(?:[^']|'')*')
    | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<op><=|>=|<>|!=|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[^\W\d]\w*)
    )""",
    re.VERBOSE,
)


class FilterError(Explained, ValueError):
    """A user-facing explanation of what is wrong with ``where`` or ``orderby``: an English
    template and its parameters (the API shows the English, the viewer page translates)."""


@dataclass(frozen=True)
class Token:
    kind: str
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise FilterError(
            gettext_noop("expression longer than %(limit)d characters"), limit=MAX_LENGTH
        )
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FilterError(
                gettext_noop("unexpected character '%(char)s' at position %(pos)s"),
                char=text[pos:].lstrip()[:1],
                pos=pos,
            )
        kind = m.lastgroup
        assert kind is not None
        raw = m.group(kind)
        start = m.start(kind)
        if kind == "qident":
            tokens.append(Token("ident", raw[1:-1].replace('""', '"'), start))
        elif kind == "string":
            tokens.append(Token("string", raw[1:-1].replace("''", "'"), start))
        elif kind == "number":
            value: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("number", value, start))
        elif kind == "word" and raw.upper() in KEYWORDS:
            tokens.append(Token("kw", raw.upper(), start))
        elif kind == "word":
            tokens.append(Token("ident", raw, start))
        else:
            tokens.append(Token(kind, raw, start))
        pos = m.end()
    return tokens


# AST nodes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class IsNull:
    column: str
    negated: bool


@dataclass(frozen=True)
class Like:
    column: str
    pattern: str
    negated: bool


@dataclass(frozen=True)
class InList:
    column: str
    values: tuple[Any, ...]
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" | "OR"
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | IsNull | Like | InList | BoolOp | Not


class _Parser:
    def __init__(self, tokens: list[Token], columns: set[str]) -> None:
        self.tokens = tokens
        self.i = 0
        self.columns = columns
        self.nodes = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FilterError(gettext_noop("unexpected end of expression"))
        self.i += 1
        return tok

    def accept_kw(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "kw" and tok.value == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, value: str | None = None) -> Token:
        tok = self.take()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = value or kind
            raise FilterError(
                gettext_noop("expected %(want)s at position %(pos)s, found '%(value)s'"),
                want=want,
                pos=tok.pos,
                value=tok.value,
            )
        return tok

    def count(self, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FilterError(
                gettext_noop("expression has more than %(limit)d terms"), limit=MAX_NODES
            )
        if depth > MAX_DEPTH:
            raise FilterError(
                gettext_noop("expression nested deeper than %(limit)d levels"),
                limit=MAX_DEPTH,
            )

    def parse_or(self, depth: int = 0) -> Node:
        self.count(depth)
        items = [self.parse_and(depth + 1)]
        while self.accept_kw("OR"):
            items.append(self.parse_and(depth + 1))
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def parse_and(self, depth: int) -> Node:
        self.count(depth)
        items = [self.parse_not(depth + 1)]
        while self.accept_kw("AND"):
            items.append(self.parse_not(depth + 1))
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def parse_not(self, depth: int) -> Node:
        self.count(depth)
        if self.accept_kw("NOT"):
            return Not(self.parse_not(depth + 1))
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.value == "(":
            self.i += 1
            node = self.parse_or(depth + 1)
            self.expect("punct", ")")
            return node
        return self.parse_cmp()

    def column(self) -> str:
        tok = self.take()
        if tok.kind != "ident":
            raise FilterError(
                gettext_noop("expected a column name at position %(pos)s, found '%(value)s'"),
                pos=tok.pos,
                value=tok.value,
            )
        if tok.value not in self.columns:
            raise FilterError(gettext_noop("unknown column '%(value)s'"), value=tok.value)
        return str(tok.value)

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind in {"string", "number"}:
            return tok.value
        if tok.kind == "kw" and tok.value in {"TRUE", "FALSE"}:
            return tok.value == "TRUE"
        raise FilterError(
            gettext_noop("expected a value at position %(pos)s, found '%(value)s'"),
            pos=tok.pos,
            value=tok.value,
        )

    def parse_cmp(self) -> Node:
        column = self.column()
        if self.accept_kw("IS"):
            negated = self.accept_kw("NOT")
            self.expect("kw", "NULL")
            return IsNull(column, negated)
        negated = self.accept_kw("NOT")
        if self.accept_kw("LIKE"):
            return Like(column, str(self.expect("string").value), negated)
        if self.accept_kw("IN"):
            self.expect("punct", "(")
            values = [self.literal()]
            while (tok := self.peek()) is not None and tok.kind == "punct" and tok.value == ",":
                self.i += 1
                values.append(self.literal())
                if len(values) > MAX_NODES:
                    raise FilterError(gettext_noop("IN list too long"))
            self.expect("punct", ")")
            return InList(column, tuple(values), negated)
        if negated:
            raise FilterError(
                gettext_noop("NOT after column '%(column)s' must be followed by LIKE or IN"),
                column=column,
            )
        tok = self.take()
        if tok.kind != "op":
            raise FilterError(
                gettext_noop("expected a comparison operator at position %(pos)s"), pos=tok.pos
            )
        return Compare(column, OPERATORS[tok.value], self.literal())


def parse_where(text: str, columns: list[str]) -> Node:
    tokens = tokenize(text)
    if not tokens:
        raise FilterError(gettext_noop("empty where expression"))
    parser = _Parser(tokens, set(columns))
    node = parser.parse_or()
    if parser.peek() is not None:
        tok = parser.peek()
        assert tok is not None
        raise FilterError(
            gettext_noop("unexpected '%(value)s' at position %(pos)s"), value=tok.value, pos=tok.pos
        )
    return node


def compile_where(node: Node) -> tuple[str, list[Any]]:
    """SQL text (identifiers quoted, values as ``?``) and its parameters."""
    params: list[Any] = []

    def emit(n: Node) -> str:
        if isinstance(n, Compare):
            params.append(n.value)
            return f"{quote_ident(n.column)} {n.op} ?"
        if isinstance(n, IsNull):
            return f"{quote_ident(n.column)} IS {'NOT ' if n.negated else ''}NULL"
        if isinstance(n, Like):
            params.append(n.pattern)
            return f"{quote_ident(n.column)} {'NOT ' if n.negated else ''}LIKE ?"
        if isinstance(n, InList):
            params.extend(n.values)
            marks = ", ".join("?" for _ in n.values)
            return f"{quote_ident(n.column)} {'NOT ' if n.negated else ''}IN ({marks})"
        if isinstance(n, Not):
            return f"NOT ({emit(n.item)})"
        return "(" + f" {n.op} ".join(emit(item) for item in n.items) + ")"

    return emit(node), params


def parse_orderby(text: str, columns: list[str]) -> str:
    """``ORDER BY`` terms as SQL, every column checked against the schema."""
    tokens = tokenize(text)
    known = set(columns)
    terms: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind != "ident":
            raise FilterError(
                gettext_noop("expected a column name in orderby at position %(pos)s"), pos=tok.pos
            )
        if tok.value not in known:
            raise FilterError(
                gettext_noop("unknown column '%(value)s' in orderby"), value=tok.value
            )
        direction = "ASC"
        i += 1
        if i < len(tokens) and tokens[i].kind == "kw" and tokens[i].value in {"ASC", "DESC"}:
            direction = tokens[i].value
            i += 1
        terms.append(f"{quote_ident(tok.value)} {direction}")
        if i < len(tokens):
            if tokens[i].kind != "punct" or tokens[i].value != ",":
                raise FilterError(
                    gettext_noop("expected ',' in orderby at position %(pos)s"), pos=tokens[i].pos
                )
            i += 1
            if i == len(tokens):
                raise FilterError(gettext_noop("orderby ends with ','"))
    if not terms:
        raise FilterError(gettext_noop("empty orderby"))
    return ", ".join(terms)
