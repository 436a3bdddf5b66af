"""Model helpers shared by the apps."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.db import DatabaseError, connections, models, router, transaction
from django.db.models.signals import post_save, pre_save

from yihaotong.core.db import reusable_cursor


class CompiledWrites(models.Model):
    """Insert and update rows with SQL compiled once per model, column list and connection.

    The actions write a handful of rows each (an event, notifications, an assignment, the order); Django
    builds and compiles a fresh INSERT or UPDATE query for every row, which cost more CPU than the database
    spent running it (decision 0009). This mixin hooks ``Model._do_insert`` and ``Model._do_update``, the two
    places where ``save()`` hands the row to the query compiler: the statement is compiled by the ORM the
    first time and kept with the places of its parameters; later rows only have their values prepared by
    their fields (``pre_save``, ``get_db_prep_save``: the same conversions the ORM makes) and run. Anything
    out of the ordinary (expressions as values, fields with their own placeholders, raw saves, another
    shape of RETURNING) takes Django's own path. ``save()`` itself, its signals and its checks are Django's.
    """

    class Meta:
        abstract = True

    def save(self, *args, force_insert=False, force_update=False, using=None, update_fields=None):
        """``Model.save`` for the two saves the actions make, without its general machinery: a new row
        (auto primary key) and an update of named fields. Same checks, same conversions, same rollback
        marking; anything else (signal receivers, inheritance, a chosen database, force_update, an update
        without field names) is Django's ``save``."""
        cls = type(self)
        plan = _SAVE_PLANS.get(cls, False)
        if plan is False:
            plan = _save_plan(cls)
        if (
            plan is None
            or args
            or force_update
            or using is not None
            or pre_save.has_listeners(cls)
            or post_save.has_listeners(cls)
        ):
            return super().save(
                *args, force_insert=force_insert, force_update=force_update, using=using, update_fields=update_fields
            )
        pk_attname = plan.pk_attname
        if self._state.adding and update_fields is None and getattr(self, pk_attname) is None:
            self._prepare_related_fields_for_save(operation_name="save")
            using = router.db_for_write(cls, instance=self)
            with transaction.mark_for_rollback_on_error(using):
                rows = self._do_insert(cls._base_manager, using, plan.insert_fields, plan.returning, False)
            if rows:
                for value, field in zip(rows[0], plan.returning, strict=False):
                    setattr(self, field.attname, value)
            self._state.db = using
            self._state.adding = False
            return None
        if (
            not self._state.adding
            and update_fields
            and not force_insert
            and getattr(self, pk_attname) is not None
            and frozenset(update_fields) <= plan.updatable
        ):
            names = frozenset(update_fields)
            self._prepare_related_fields_for_save(operation_name="save")
            using = router.db_for_write(cls, instance=self)
            values = [(f, None, f.pre_save(self, False)) for f in plan.non_pks if f.name in names or f.attname in names]
            with transaction.mark_for_rollback_on_error(using):
                updated = self._compiled_update(using, getattr(self, pk_attname), values)
            if updated is None:
                return super().save(update_fields=update_fields)
            if not updated:
                raise DatabaseError("Save with update_fields did not affect any rows.")
            self._state.db = using
            self._state.adding = False
            return None
        return super().save(
            *args, force_insert=force_insert, force_update=force_update, using=using, update_fields=update_fields
        )

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        compiled = None if raw else _compiled_insert(type(self), using, fields, returning_fields)
        if compiled is None:
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        connection = connections[using]
        params = []
        for field in fields:
            value = field.get_db_prep_save(field.pre_save(self, add=True), connection=connection)
            if hasattr(value, "resolve_expression") or hasattr(value, "as_sql"):
                return super()._do_insert(manager, using, fields, returning_fields, raw)
            params.append(value)
        sql, returning_params, converters, compiler = compiled
        cursor = reusable_cursor(using)
        cursor.execute(sql, (*params, *returning_params))
        if not returning_fields:
            return []
        if returning_params is not None and connection.features.can_return_columns_from_insert:
            rows = [connection.ops.fetch_returned_insert_columns(cursor, returning_params)]
        else:
            rows = [(connection.ops.last_insert_id(cursor, self._meta.db_table, returning_fields[0].column),)]
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        return rows

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        if base_qs.query.where:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        updated = self._compiled_update(using, pk_val, values)
        if updated is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        return updated

    def _compiled_update(self, using, pk_val, values) -> bool | None:
        """Run the UPDATE of ``values`` compiled once per column list; None: take Django's path."""
        if not values or self._meta.select_on_save:
            return None
        connection = connections[using]
        params = []
        for field, _model, value in values:
            if hasattr(value, "resolve_expression") or hasattr(field, "get_placeholder"):
                return None
            if hasattr(value, "prepare_database_save"):
                if not field.remote_field:
                    return None
                value = value.prepare_database_save(field)
            value = field.get_db_prep_save(value, connection=connection)
            if hasattr(value, "as_sql"):
                return None
            params.append(value)
        pk = self._meta.pk
        sql = _compiled_update(type(self), using, tuple(field.column for field, _m, _v in values))
        params.append(pk.get_db_prep_value(pk_val, connection))
        cursor = reusable_cursor(using)
        cursor.execute(sql, params)
        return cursor.rowcount > 0


@dataclass(frozen=True)
class _SavePlan:
    pk_attname: str
    insert_fields: tuple
    returning: tuple
    non_pks: tuple
    updatable: frozenset


_SAVE_PLANS: dict[type, _SavePlan | None] = {}


def _save_plan(model) -> _SavePlan | None:
    """What ``CompiledWrites.save`` needs of a model, or None if the model needs Django's ``save``."""
    meta = model._meta
    plan = None
    if (
        not meta.parents
        and not meta.proxy
        and not meta.auto_created
        and not meta.order_with_respect_to
        and meta.auto_field is not None
        and meta.pk is meta.auto_field
        and list(meta.db_returning_fields) == [meta.pk]
    ):
        plan = _SavePlan(
            pk_attname=meta.pk.attname,
            insert_fields=tuple(f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field),
            returning=tuple(meta.db_returning_fields),
            non_pks=tuple(f for f in meta.local_concrete_fields if not f.primary_key and not f.generated),
            updatable=frozenset(meta._non_pk_concrete_field_names),
        )
    _SAVE_PLANS[model] = plan
    return plan


INSERT_ROWS_MAX = 16


def insert_rows(rows: list) -> list:
    """Insert new rows of one ``CompiledWrites`` model in one statement compiled once per row count.

    For the few rows an action writes together (the outbox rows of one notification, a sweep's warnings),
    in statements of at most ``INSERT_ROWS_MAX`` rows; ``insert_many`` is for hundreds. Each row's values
    are prepared by its fields as ``save()`` would (``pre_save``, ``get_db_prep_save``) and the new ids set
    on the rows. No model signals are sent (as with ``bulk_create``). A single row, a database that cannot
    return the ids of a multi-row insert, or a value that is an expression takes ``save()``.
    """
    if len(rows) > INSERT_ROWS_MAX:
        # At most INSERT_ROWS_MAX statement shapes per model: each is compiled (and prepared) once.
        for start in range(0, len(rows), INSERT_ROWS_MAX):
            insert_rows(rows[start : start + INSERT_ROWS_MAX])
        return rows
    if not rows:
        return rows
    model = type(rows[0])
    using = router_db_for_write(model)
    connection = connections[using]
    if len(rows) == 1 or not connection.features.can_return_rows_from_bulk_insert:
        for row in rows:
            row.save(force_insert=True)
        return rows
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
    compiled = _compiled_insert(model, using, fields, [opts.pk], rows=len(rows))
    if compiled is None:
        for row in rows:
            row.save(force_insert=True)
        return rows
    params = []
    for row in rows:
        for field in fields:
            value = field.get_db_prep_save(field.pre_save(row, add=True), connection=connection)
            if hasattr(value, "resolve_expression") or hasattr(value, "as_sql"):
                for r in rows:
                    r.save(force_insert=True)
                return rows
            params.append(value)
    sql, returning_params, converters, compiler = compiled
    cursor = reusable_cursor(using)
    cursor.execute(sql, (*params, *returning_params))
    ids = connection.ops.fetch_returned_insert_rows(cursor)
    if converters:
        ids = list(compiler.apply_converters(ids, converters))
    for row, (pk,) in zip(rows, ids, strict=True):
        setattr(row, opts.pk.attname, pk)
        row._state.adding = False
        row._state.db = using
    return rows


def update_rows(rows: list, fields: list[str]) -> None:
    """Write the named fields of loaded rows of one model in one statement.

    On PostgreSQL one ``UPDATE … FROM unnest(<one array per column>)`` whose text does not depend on the
    number of rows (built once per model and field list, prepared by the server); elsewhere Django's
    ``bulk_update``. Values are prepared by each field as ``save()`` prepares them; no signals are sent
    (as with ``bulk_update``)."""
    if not rows:
        return
    model = type(rows[0])
    using = router_db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql" or len(rows) == 1:
        model.objects.bulk_update(rows, fields)
        return
    opts = model._meta
    targets = [opts.get_field(name) for name in fields]
    key = (model, using, id(connection), tuple(fields))
    sql = _UNNEST_UPDATE_SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        table, pk = qn(opts.db_table), opts.pk
        names = ["id_", *(f"v{i}" for i in range(len(targets)))]
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [pk, *targets])
        sets = ", ".join(f"{qn(f.column)} = v.v{i}" for i, f in enumerate(targets))
        sql = (
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "  # noqa: S608
            f"WHERE {table}.{qn(pk.column)} = v.id_"
        )
        _UNNEST_UPDATE_SQL[key] = sql
    columns = [[row.pk for row in rows]]
    for f in targets:
        columns.append([f.get_db_prep_save(f.pre_save(row, False), connection=connection) for row in rows])
    reusable_cursor(using).execute(sql, columns)


_UNNEST_UPDATE_SQL: dict[tuple, str] = {}


def insert_many(rows: list) -> None:
    """Insert many new rows of one model (a batch import's chunk) and set their ids: ``bulk_create``, or on
    PostgreSQL one ``INSERT … SELECT * FROM unnest(<one array per column>)`` (the same device as
    ``update_rows``), whose text does not grow with the rows (a
    250-row VALUES list is compiled by Django and parsed by psycopg at every call; this statement is
    built once per model, cached by psycopg and prepared by the server). Values are prepared by each
    field as ``save()`` and ``bulk_create`` prepare them; no signals are sent (as with ``bulk_create``)."""
    if not rows:
        return
    model = type(rows[0])
    using = router_db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql" or len(rows) == 1:
        model.objects.bulk_create(rows)
        return
    opts = model._meta
    fields, sql = _unnest_insert(model, connection)
    columns = [[] for _ in fields]
    for row in rows:
        for values, f in zip(columns, fields, strict=True):
            values.append(f.get_db_prep_save(f.pre_save(row, add=True), connection=connection))
    cursor = reusable_cursor(using)
    cursor.execute(sql, columns)
    ids = sorted(pk for (pk,) in cursor.fetchall())  # one statement's ids rise in the order it inserts
    for row, pk in zip(rows, ids, strict=True):
        setattr(row, opts.pk.attname, pk)
        row._state.adding = False
        row._state.db = using


_UNNEST_SQL: dict[tuple, tuple[list, str]] = {}


def _unnest_insert(model, connection) -> tuple[list, str]:
    key = (model, connection.alias)
    found = _UNNEST_SQL.get(key)
    if found is None:
        opts = model._meta
        qn = connection.ops.quote_name
        fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.auto_field]
        columns = ", ".join(qn(f.column) for f in fields)
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        sql = (
            f"INSERT INTO {qn(opts.db_table)} ({columns}) "  # noqa: S608 - names from the model
            f"SELECT * FROM unnest({arrays}) RETURNING {qn(opts.pk.column)}"
        )
        found = _UNNEST_SQL[key] = (fields, sql)
    return found


def router_db_for_write(model) -> str:
    return router.db_for_write(model)


_INSERT_SQL: dict[tuple, tuple | None] = {}
_UPDATE_SQL: dict[tuple, str] = {}


def _compiled_insert(model, using, fields, returning_fields, rows: int = 1):
    """Return (sql, returning params, converters, compiler) of an INSERT of ``rows`` rows, or None for
    Django's path."""
    connection = connections[using]
    key = (model, using, id(connection), tuple(fields), tuple(returning_fields or ()), rows)
    try:
        return _INSERT_SQL[key]
    except KeyError:
        pass
    hit = None
    if fields and not any(hasattr(f, "get_placeholder") for f in fields):
        qn = connection.ops.quote_name
        values = "(%s)" % ", ".join(["%s"] * len(fields))  # noqa: UP031
        head = "%s %s (%s) VALUES %s" % (  # noqa: UP031 - the same text as SQLInsertCompiler.as_sql
            connection.ops.insert_statement(on_conflict=None),
            qn(model._meta.db_table),
            ", ".join(qn(f.column) for f in fields),
            ", ".join([values] * rows),
        )
        returning_params = ()
        compiler = model._base_manager.none().query.get_compiler(using=using)
        converters = {}
        if returning_fields:
            converters = compiler.get_converters([f.get_col(model._meta.db_table) for f in returning_fields])
            if connection.features.can_return_columns_from_insert:
                r_sql, returning_params = connection.ops.return_insert_columns(returning_fields)
                returning_params = tuple(returning_params)
                if r_sql:
                    head = f"{head} {r_sql}"
        hit = (head, returning_params, converters, compiler)
    _INSERT_SQL[key] = hit
    return hit


def _compiled_update(model, using, columns: tuple[str, ...]) -> str:
    connection = connections[using]
    key = (model, using, id(connection), columns)
    sql = _UPDATE_SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        sets = ", ".join(f"{qn(c)} = %s" for c in columns)
        sql = f"UPDATE {table} SET {sets} WHERE {table}.{qn(model._meta.pk.column)} = %s"  # noqa: S608
        _UPDATE_SQL[key] = sql
    return sql


class SavesChangedFields(CompiledWrites):
    """Save only the columns that changed since the row was loaded (or last saved).

    The actions load a row under a lock, change a few fields and save it; writing back all fifty columns
    of a work order cost more in SQL compilation than the rest of the action. ``save()`` without
    ``update_fields`` on a loaded row writes the changed fields (plus ``auto_now`` ones); an unchanged row
    writes nothing. Inserts, explicit ``update_fields`` and ``force_insert``/``force_update`` behave as in
    Django. The snapshot is taken in ``from_db``, after ``save`` and after ``refresh_from_db``.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        adding = self._state.adding
        explicit = kwargs.get("update_fields")
        if (
            not adding
            and not args
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
            and getattr(self, "_saved_state", None) is not None
        ):
            changed = self.changed_fields()
            if not changed:
                return
            kwargs["update_fields"] = sorted(set(changed) | _columns_of(type(self)).auto_now)
        super().save(*args, **kwargs)
        if explicit is not None and getattr(self, "_saved_state", None) is not None:
            # Only the fields written are in step with the row now; the others keep their snapshot.
            by_name = _columns_of(type(self)).attname_by_name
            for name in explicit:
                attname = by_name.get(name, name)
                value = getattr(self, attname)
                self._saved_state[attname] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        else:
            self._take_snapshot()

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._take_snapshot()
        return obj

    def changed_fields(self) -> list[str]:
        """Return the names of the fields that differ from the snapshot (all of them without one).

        Deferred fields (not loaded: not in the instance's ``__dict__``) are never changed."""
        state = getattr(self, "_saved_state", None)
        loaded = self.__dict__
        columns = _columns_of(type(self)).columns
        if state is None:
            return [name for name, attname in columns if attname in loaded]
        missing = object()
        return [
            name for name, attname in columns if attname in loaded and state.get(attname, missing) != loaded[attname]
        ]

    def _take_snapshot(self) -> None:
        loaded = self.__dict__
        state = {}
        for _name, attname in _columns_of(type(self)).columns:
            if attname in loaded:
                value = loaded[attname]
                state[attname] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        self._saved_state = state

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._take_snapshot()


@dataclass(frozen=True)
class _Columns:
    columns: tuple[tuple[str, str], ...]  # (name, attname) of the concrete fields but the primary key
    attname_by_name: dict
    auto_now: frozenset


_COLUMNS: dict[type, _Columns] = {}


def _columns_of(model) -> _Columns:
    hit = _COLUMNS.get(model)
    if hit is None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        hit = _Columns(
            columns=tuple((f.name, f.attname) for f in fields),
            attname_by_name={f.name: f.attname for f in fields},
            auto_now=frozenset(f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)),
        )
        _COLUMNS[model] = hit
    return hit
