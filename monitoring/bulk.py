"""Batched writes for the ingest path: one statement per table per page.

On PostgreSQL the rows travel as one JSON document that the server expands with
json_populate_recordset into the table's own row type: one round trip per table, the new ids
come back from RETURNING, and no large INSERT statement is built and quoted row by row (most
of the time bulk_create spends on a page). Elsewhere (SQLite) these are bulk_create.

    insert(model, objs)                          new rows; sets their pks
    insert(model, objs, skip_conflicts=True)     rows that clash with a unique constraint are
                                                 left out (another writer stored them first)
    insert_rows(model, rows)                     rows given as dicts: no instances, no ids back
    upsert(model, objs, unique_fields=..., update_fields=...)
                                                 create or refresh; a row whose values are
                                                 unchanged is not written again
    update(model, objs, fields)                  these fields of saved instances
    tally(model, counts, key_fields=..., count_field=...)
                                                 add {key: n} to the rows' counts, creating
                                                 the rows that are missing
"""
import json
import operator
from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import UniqueConstraint
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

BATCH = 500


def _plain(value):
    """What json.dumps cannot write itself, as PostgreSQL reads it back into the column."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    obj = getattr(value, "obj", None)  # psycopg's Jsonb wrapper (JSONField): the value itself
    if obj is not None or type(value).__name__ in ("Json", "Jsonb"):
        return obj
    return str(value)


# Fields whose Python value is already what the column takes (json.dumps and _plain write it):
# read straight from the instance rather than through get_db_prep_save, which is most of the
# time spent on a row. Subclasses (e.g. ExactTextField, which escapes NUL) take the full path.
_AS_IS = {models.CharField, models.TextField, models.URLField, models.SlugField, models.EmailField,
          models.BooleanField, models.IntegerField, models.SmallIntegerField, models.BigIntegerField,
          models.PositiveIntegerField, models.PositiveSmallIntegerField, models.PositiveBigIntegerField,
          models.FloatField, models.AutoField, models.BigAutoField, models.ForeignKey, models.OneToOneField}


def _reader(field, connection, add: bool):
    """How to read a field's value for the document from an instance."""
    kind = type(field)
    if kind in _AS_IS or (kind is models.JSONField and field.encoder is None):
        return operator.attrgetter(field.attname)
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        return operator.attrgetter(field.attname)  # aware datetimes: _plain writes ISO 8601
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, add), connection)


def _document(fields, objs, connection, *, add: bool = True) -> str:
    readers = [(f.column, _reader(f, connection, add)) for f in fields]
    rows = [{column: read(obj) for column, read in readers} for obj in objs]
    return json.dumps(rows, default=_plain, ensure_ascii=False, separators=(",", ":"))


def _saved(objs, using):
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def _target(model, using):
    using = using or router.db_for_write(model)
    return using, connections[using]


def _columns(model, *, with_pk: bool):
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated]
    if not with_pk:
        fields = [f for f in fields if f is not opts.pk]
    return fields


def insert(model, objs: Sequence, *, skip_conflicts: bool = False, using: str | None = None) -> list:
    """Insert new instances of `model` and set their pks. Returns those inserted: all of them,
    or with skip_conflicts those that did not clash with a row already there."""
    objs = list(objs)
    if not objs:
        return objs
    using, connection = _target(model, using)
    if connection.vendor != "postgresql":
        return _insert_elsewhere(model, objs, skip_conflicts, using)
    opts = model._meta
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")
    auto_pk = isinstance(opts.pk, AutoFieldMixin)
    fields = _columns(model, with_pk=not auto_pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (f"INSERT INTO {quote(opts.db_table)} ({columns}) SELECT {columns} FROM "
           f"json_populate_recordset(NULL::{quote(opts.db_table)}, %s::json)")
    keys = _unique_key(model) if skip_conflicts else None
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
        objs = _in_key_order(objs, keys)
    returning = [opts.pk] + (keys or [])
    sql += " RETURNING " + ", ".join(quote(f.column) for f in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(fields, objs, connection)])
        returned = cursor.fetchall()
    if not skip_conflicts:
        if auto_pk:
            for obj, (pk,) in zip(objs, returned, strict=True):  # RETURNING keeps the rows' order
                setattr(obj, opts.pk.attname, pk)
        _saved(objs, using)
        return objs
    by_key = {tuple(row[1:]): row[0] for row in returned}
    inserted = []
    for obj in objs:
        pk = by_key.get(tuple(getattr(obj, f.attname) for f in keys))
        if pk is not None:
            setattr(obj, opts.pk.attname, pk)
            inserted.append(obj)
    _saved(inserted, using)
    return inserted


def insert_rows(model, rows: Sequence[dict], *, using: str | None = None) -> None:
    """Insert rows given as {attname: value}, with no instances built and no ids returned (for
    rows nothing refers to, such as a case's timeline). Fields left out take their defaults."""
    if not rows:
        return
    using, connection = _target(model, using)
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return
    opts = model._meta
    fields = _columns(model, with_pk=not isinstance(opts.pk, AutoFieldMixin))
    now = timezone.now()
    plan = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        else:
            default = f.get_default()  # "" for text fields without one, as Django saves them
        kind = type(f)
        as_is = kind in _AS_IS or kind is models.DateTimeField or (kind is models.JSONField and f.encoder is None)
        plan.append((f.column, f.attname, default, None if as_is else f))
    document = json.dumps(
        [{column: (row.get(attname, default) if field is None else
                   field.get_db_prep_save(row.get(attname, default), connection))
          for column, attname, default, field in plan} for row in rows],
        default=_plain, ensure_ascii=False, separators=(",", ":"))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(opts.db_table)} ({columns}) SELECT {columns} FROM "
                       f"json_populate_recordset(NULL::{quote(opts.db_table)}, %s::json)", [document])


def tally(model, counts: dict[tuple, int], *, key_fields: Sequence[str], count_field: str,
          using: str | None = None) -> None:
    """Add each n of {key values: n} to the count of the row with those key values (a unique
    key), creating it at n when missing: one statement (one per BATCH rows off PostgreSQL). The
    rows go in key order, so two writers lock the rows they share in the same order."""
    if not counts:
        return
    _, connection = _target(model, using)
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    keys = [opts.get_field(name) for name in key_fields]
    names = [f.column for f in keys] + [opts.get_field(count_field).column]
    count = quote(names[-1])
    columns = ", ".join(map(quote, names))
    conflict = f"ON CONFLICT ({', '.join(quote(f.column) for f in keys)}) DO UPDATE SET " \
               f"{count} = {table}.{count} + excluded.{count}"
    items = sorted(counts.items(), key=lambda item: tuple(str(v) for v in item[0]))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            document = json.dumps([dict(zip(names, (*key, n), strict=True)) for key, n in items],
                                  default=_plain, ensure_ascii=False, separators=(",", ":"))
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM "  # noqa: S608
                           f"json_populate_recordset(NULL::{table}, %s::json) {conflict}", [document])
            return
        # As the ORM writes each value (a datetime on SQLite is a naive UTC string), so that its
        # queries find the rows.
        rows = [[f.get_db_prep_value(v, connection) for f, v in zip(keys, key, strict=True)] + [n]
                for key, n in items]
        for i in range(0, len(rows), BATCH):
            chunk = rows[i:i + BATCH]
            values = ", ".join([f"({', '.join(['%s'] * len(chunk[0]))})"] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} {conflict}",  # noqa: S608
                           [v for row in chunk for v in row])


def _in_key_order(objs: list, keys) -> list:
    """The rows sorted on their unique key. Two pages written at once by two workers may hold
    the same authors (or mentions, or cases): each statement then locks them in the same order,
    and neither can wait for a row the other holds while holding one it wants (a deadlock)."""
    return sorted(objs, key=lambda obj: tuple(str(getattr(obj, f.attname)) for f in keys))


def _unique_key(model):
    """The fields of the model's one unique constraint (how skipped rows are told apart)."""
    opts = model._meta
    keys = []
    for constraint in opts.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.condition is None:
            names = list(constraint.fields) or [getattr(e, "name", None) for e in constraint.expressions]
            if all(names):  # plain columns, given as fields or as F() expressions
                keys.append(names)
    if len(keys) != 1:
        raise ValueError(f"{opts.label} needs exactly one unique constraint to skip conflicts")
    return [opts.get_field(name) for name in keys[0]]


def _insert_elsewhere(model, objs, skip_conflicts, using):
    manager = model._default_manager.using(using)
    if not skip_conflicts:
        return manager.bulk_create(objs, batch_size=BATCH)
    try:
        with transaction.atomic(using=using):
            return manager.bulk_create(objs, batch_size=BATCH)
    except IntegrityError:
        # Another writer stored some of them at the same moment: keep only what is still new.
        keys = _unique_key(model)
        taken = set(manager.filter(**{f"{keys[0].name}__in": {getattr(o, keys[0].attname) for o in objs}})
                    .values_list(*[f.attname for f in keys]))
        objs = [o for o in objs if tuple(getattr(o, f.attname) for f in keys) not in taken]
        for obj in objs:
            obj.pk = None
            obj._state.adding = True
        return manager.bulk_create(objs, batch_size=BATCH)


def upsert(model, objs: Sequence, *, unique_fields: Sequence[str], update_fields: Sequence[str],
           using: str | None = None) -> list:
    """Create these rows, or refresh `update_fields` of those already there (matched on
    `unique_fields`), and set every instance's pk. A row whose values have not changed is
    left alone: no new row version, no index writes."""
    objs = list(objs)
    if not objs:
        return objs
    using, connection = _target(model, using)
    opts = model._meta
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create(
            objs, batch_size=BATCH, update_conflicts=True, unique_fields=unique_fields,
            update_fields=update_fields)
        missing = [o for o in objs if o.pk is None]
        if missing:  # databases that do not return ids from an upsert
            keys = [opts.get_field(name) for name in unique_fields]
            found = {tuple(row[:-1]): row[-1] for row in model._default_manager.using(using).filter(
                **{f"{keys[0].name}__in": {getattr(o, keys[0].attname) for o in missing}}).values_list(
                *[f.attname for f in keys], "pk")}
            for obj in missing:
                obj.pk = found[tuple(getattr(obj, f.attname) for f in keys)]
        _saved(objs, using)
        return objs
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    fields = _columns(model, with_pk=False)
    keys = [opts.get_field(name) for name in unique_fields]
    objs = _in_key_order(objs, keys)
    changing = [opts.get_field(name) for name in update_fields]
    compared = [f for f in changing if not getattr(f, "auto_now", False)]  # a timestamp alone is no change
    columns = ", ".join(quote(f.column) for f in fields)
    key_columns = ", ".join(quote(f.column) for f in keys)
    returned = ", ".join(f"t.{quote(f.column)}" for f in [opts.pk, *keys])
    sql = (
        f"WITH given AS (SELECT * FROM json_populate_recordset(NULL::{table}, %s::json)), "
        f"written AS (INSERT INTO {table} AS t ({columns}) SELECT {columns} FROM given "
        f"ON CONFLICT ({key_columns}) DO UPDATE SET "
        + ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in changing)
        + " WHERE (" + ", ".join(f"t.{quote(f.column)}" for f in compared) + ") IS DISTINCT FROM ("
        + ", ".join(f"EXCLUDED.{quote(f.column)}" for f in compared) + ") "
        f"RETURNING {returned}) "
        f"SELECT * FROM written UNION ALL "
        # Rows left alone are not returned by the insert: read them (as they were before it).
        f"SELECT {returned} FROM {table} AS t JOIN given USING ({key_columns}) "
        f"WHERE ({', '.join(f't.{quote(f.column)}' for f in keys)}) NOT IN "
        f"(SELECT {key_columns} FROM written)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(fields, objs, connection)])
        found = {tuple(row[1:]): row[0] for row in cursor.fetchall()}
    missing = [o for o in objs if tuple(getattr(o, f.attname) for f in keys) not in found]
    if missing:  # stored by another writer during the statement, unchanged: not in its snapshot
        found.update({tuple(row[:-1]): row[-1] for row in model._default_manager.using(using).filter(
            **{f"{keys[0].name}__in": {getattr(o, keys[0].attname) for o in missing}}).values_list(
            *[f.attname for f in keys], "pk")})
    for obj in objs:
        setattr(obj, opts.pk.attname, found[tuple(getattr(obj, f.attname) for f in keys)])
    _saved(objs, using)
    return objs


def update(model, objs: Sequence, fields: Sequence[str], *, using: str | None = None) -> int:
    """Write `fields` of saved instances, all in one statement. Returns the rows updated."""
    objs = list(objs)
    if not objs:
        return 0
    using, connection = _target(model, using)
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_update(objs, fields, batch_size=BATCH)
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    written = [opts.get_field(name) for name in fields]
    pk = quote(opts.pk.column)
    sql = (f"UPDATE {table} AS t SET "
           + ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in written)
           + f" FROM json_populate_recordset(NULL::{table}, %s::json) AS v WHERE t.{pk} = v.{pk}")
    objs = sorted(objs, key=lambda obj: obj.pk)  # rows locked in one order (see _in_key_order)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document([opts.pk, *written], objs, connection, add=False)])
        return cursor.rowcount
