"""The API router: each app registers its viewsets here.

No format-suffix routes (/api/cases/1.json): the API speaks JSON anyway, and the suffix was
passed on as a `format` argument that custom actions do not take, so every such URL of an
action answered 500."""
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.include_format_suffixes = False
