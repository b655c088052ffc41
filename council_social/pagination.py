"""A paginator whose count costs the same however much history the database holds."""
from django.core.paginator import Paginator
from django.utils.functional import cached_property

# Lists count their rows up to this many; past it they say "more than" and page no further.
COUNT_MAX = 5000


class CappedPaginator(Paginator):
    """Counts at most `cap` rows (COUNT over a LIMIT), so that a list of every closed case or
    every mention is counted in the same time with a year of them or ten. `more` says that
    there are more rows than `count`; the pages go as far as `count`."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_MAX if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        objects = self.object_list
        if hasattr(objects, "order_by"):
            return objects.order_by()[: self.cap + 1].count()
        return min(len(objects), self.cap + 1)

    @property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def more(self) -> bool:
        return self._counted > self.cap
