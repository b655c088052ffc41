"""The API router: each app registers its viewsets here.

No format-suffix routes (/api/cases/1.json): the API speaks JSON anyway, and the suffix was
passed on as a `format` argument that custom actions do not take, so every such URL of an
action answered 500."""
from django.db import DataError
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

router = DefaultRouter()
router.include_format_suffixes = False


class Pagination(LimitOffsetPagination):
    """?limit= and ?offset= as DRF reads them, within what the database can take: a limit above
    500 gives 500, and an offset past the end an empty page (an offset beyond PostgreSQL's
    bigint was a 500)."""

    max_limit = 500

    def get_offset(self, request):
        return min(super().get_offset(request), MAX_OFFSET)


MAX_OFFSET = 10**12


def exception_handler(exc, context):
    """DRF's, and a value the database refuses (a null character in a name it looks up, a
    number out of range) is the client's bad input: 400 with a message, not a server error."""
    if isinstance(exc, (DataError, OverflowError)):  # OverflowError: SQLite's answer to a huge integer
        exc = ValidationError({"detail": "A value in the request cannot be stored or looked up: it holds a null "
                                         "character, or a number or date out of range."})
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """An address under /api/ that matches no route answers JSON, as the API's other errors do."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
