"""Read queries compiled once per shape and connection, run again with new values.

The actions look up a handful of rows each (the actor's assignment of the order, whether a sub-unit still
works on it, the reply waiting for review …). Building the queryset and compiling it cost the ORM more
CPU than the database spent answering (decision 0009). ``select`` and ``exists`` build the queryset once
with sentinel values in the places of the values that change, keep the compiled SQL with those places
marked, and afterwards only put the new values in and run it. The rows are turned into model instances by
``Model.from_db``, as the ORM does, with the field converters the compiler chose.

The queryset is still written with the ORM, in one place: the ``build`` function. Everything ``build``
reads besides its arguments (the actor's unit, a policy value) must be in ``key``. A queryset of a shape
this module does not handle (select_related, annotations, deferred fields, a sentinel that the compiler
transformed) runs through the ORM every time, so the result is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

from yihaotong.core.db import reusable_cursor

# Values no query of ours filters on: each marks the place of one argument in the compiled parameters.
_SENTINELS = tuple(-7_301_946_285 - 7_919 * i for i in range(8))
_TIME_SENTINELS = tuple(datetime(1901, 2, 3, 4, 5, 6, 789_001 + i, tzinfo=UTC) for i in range(8))


def _sentinels(args: tuple) -> tuple:
    """One sentinel per argument: ids (int) and instants (aware datetime) can be arguments."""
    out = []
    for i, arg in enumerate(args):
        if isinstance(arg, datetime):
            out.append(_TIME_SENTINELS[i])
        elif isinstance(arg, int) and not isinstance(arg, bool):
            out.append(_SENTINELS[i])
        else:
            raise TypeError(f"compiled queries take ids and instants as arguments, not {type(arg).__name__}")
    return tuple(out)


@dataclass(frozen=True)
class _Compiled:
    sql: str  # "" when the query can match nothing (the compiler raised EmptyResultSet)
    params: tuple
    slots: tuple[tuple[int, int, bool], ...]  # (index in params, index of the argument, is an instant)
    model: type[Model] | None
    attnames: tuple[str, ...]
    converters: dict
    compiler: object


_CACHE: dict[tuple, _Compiled | None] = {}
_CACHE_MAX = 4096


def _compile(key: tuple, build: Callable[..., QuerySet], args: tuple, using: str, exists: bool) -> _Compiled | None:
    connection = connections[using]
    cache_key = (id(connection), exists, *key)
    try:
        return _CACHE[cache_key]
    except KeyError:
        pass
    sentinels = _sentinels(args)
    nargs = len(args)
    qs = build(*sentinels)
    query = qs.query.exists() if exists else qs.query
    compiler = query.get_compiler(using=using)
    hit: _Compiled | None
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        hit = _Compiled("", (), (), None, (), {}, None)
    else:
        # How each sentinel reads in the compiled parameters (an instant is adapted by the backend).
        marks = {}
        for a, sentinel in enumerate(sentinels):
            if isinstance(sentinel, datetime):
                marks[_mark(connection.ops.adapt_datetimefield_value(sentinel))] = (a, True)
            else:
                marks[_mark(sentinel)] = (a, False)
        slots = tuple((i, *marks[_mark(p)]) for i, p in enumerate(params) if _mark(p) in marks)
        model = qs.model
        attnames: tuple = ()
        found = {arg for _i, arg, _t in slots}
        shape_ok = len(found) == nargs
        if not exists:
            # The model's own columns in the model's order: all of them, or those of only()/defer().
            attnames = tuple(getattr(getattr(col, "target", None), "attname", None) for col, _s, _a in compiler.select)
            in_order = tuple(f.attname for f in model._meta.concrete_fields if f.attname in attnames)
            shape_ok = (
                shape_ok
                and not qs.query.select_related
                and not compiler.annotation_col_map
                and attnames == in_order
                and bool(compiler.select)
                and getattr(compiler.select[0][0], "target", None) is not None
                and compiler.select[0][0].target.model is model
            )
        if not shape_ok:
            hit = None  # not a shape we know: the ORM path, every time
        else:
            converters = {} if exists else compiler.get_converters([c[0] for c in compiler.select])
            hit = _Compiled(sql, tuple(params), slots, model, attnames, converters, compiler)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[cache_key] = hit
    return hit


def _mark(value) -> tuple:
    return (type(value).__name__, str(value))


def _run(c: _Compiled, args: tuple, using: str) -> list:
    params = list(c.params)
    connection = connections[using]
    for i, arg, instant in c.slots:
        params[i] = connection.ops.adapt_datetimefield_value(args[arg]) if instant else args[arg]
    cursor = reusable_cursor(using)
    cursor.execute(c.sql, params)
    return cursor.fetchall()


def select(key: tuple, build: Callable[..., QuerySet], *args, using: str = DEFAULT_DB_ALIAS) -> list:
    """Return the rows of ``build(*args)`` as model instances, compiled once per ``key``.

    ``args`` are ids (int) or instants (aware datetime); ``key`` names the shape and everything else
    ``build`` depends on.
    """
    c = _compile(key, build, args, using, exists=False)
    if c is None:
        return list(build(*args))
    if not c.sql:
        return []
    rows = _run(c, args, using)
    if c.converters:
        rows = list(c.compiler.apply_converters(rows, c.converters))
    model, attnames = c.model, c.attnames
    return [model.from_db(using, attnames, row) for row in rows]


def exists(key: tuple, build: Callable[..., QuerySet], *args, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Return ``build(*args).exists()``, compiled once per ``key``."""
    c = _compile(key, build, args, using, exists=True)
    if c is None:
        return build(*args).exists()
    if not c.sql:
        return False
    return bool(_run(c, args, using))
