"""The API's OpenAPI schema (drf-spectacular) with the error answers the API gives: 400 for
invalid input (field messages or a detail), 401 and 403 when the caller may not, 404 for an
object outside the caller's scope, 409 for a stale version where a view says so
(`schema_conflict_methods`). Documented once here rather than on each view."""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

ERRORS = {
    "400": "Invalid input: a message for each field, or a detail; nothing was changed.",
    "401": "Not signed in: no valid session or API token.",
    "403": "Your role or your token's scope does not allow this; nothing was changed.",
    "404": "Not found, or outside what you may see.",
    "409": "The version you sent is stale: someone else changed it first; nothing was changed.",
}


class CouncilAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400"]
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in getattr(self.view, "schema_conflict_methods", ()):
            codes.append("409")
        for code in codes:
            if code not in responses:
                error = OpenApiResponse(response=OpenApiTypes.OBJECT, description=ERRORS[code])
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses
