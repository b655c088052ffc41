"""Text exactly as received, on every database.

PostgreSQL cannot store NUL (U+0000) in text. These fields escape it reversibly with U+FFFF,
a Unicode noncharacter: U+FFFF is stored doubled and NUL as U+FFFF "0". Reading undoes it, and
lookups are escaped the same way, so search still matches.
"""
import re

from django.db import models
from django.db.models import lookups

ESCAPE = "\uffff"
_ESCAPED = re.compile("\uffff(\uffff|0)")


def encode(value: str) -> str:
    if "\x00" not in value and ESCAPE not in value:
        return value
    return value.replace(ESCAPE, ESCAPE * 2).replace("\x00", ESCAPE + "0")


def decode(value: str) -> str:
    if ESCAPE not in value:
        return value
    return _ESCAPED.sub(lambda m: ESCAPE if m.group(1) == ESCAPE else "\x00", value)


class _Exact:
    def from_db_value(self, value, expression, connection):
        return decode(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encode(value) if isinstance(value, str) else value


class ExactTextField(_Exact, models.TextField):
    pass


class ExactCharField(_Exact, models.CharField):
    pass


def _escaping(lookup_class):
    """A pattern lookup (contains, startswith…) that escapes its value as the field stores it:
    Django does not pass pattern values through get_prep_value."""

    class Escaping(lookup_class):
        def get_prep_lookup(self):
            return encode(self.rhs) if isinstance(self.rhs, str) else super().get_prep_lookup()

    Escaping.__name__ = f"Escaping{lookup_class.__name__}"
    return Escaping


for _field in (ExactTextField, ExactCharField):
    for _lookup in (lookups.Contains, lookups.IContains, lookups.StartsWith, lookups.IStartsWith,
                    lookups.EndsWith, lookups.IEndsWith):
        _field.register_lookup(_escaping(_lookup))
