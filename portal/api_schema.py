"""The OpenAPI schema of the REST API (drf-spectacular): the refusals every endpoint documents.

Apart from portal/api.py because drf-spectacular imports the schema class from DRF's settings
while its own views are being imported.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    errors = serializers.ListField(
        child=serializers.CharField(), help_text="Messages for the person, in their language."
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages about one field each, by field name.",
    )


ERROR_EXAMPLE = OpenApiExample(
    "A refusal",
    value={"errors": ["Check the fields marked."], "fields": {"opinion": ["Give your reasons."]}},
    response_only=True,
    status_codes=["400"],
)


class PortalAutoSchema(AutoSchema):
    """Documents the refusals every endpoint can give, in the shape of ErrorSerializer."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        public = any(
            getattr(permission, "__name__", "") == "AllowAny"
            for permission in getattr(self.view, "permission_classes", [])
        )
        codes = {
            "400": _("The request is not valid: see errors and fields."),
            "404": _("Not found, or not yours to see."),
            "429": _("Too many requests: wait the seconds in Retry-After."),
            # Also on public endpoints: a token that is sent must be valid.
            "401": _("Not logged in, or the token is invalid or expired."),
        }
        if not public:
            codes["403"] = _("Not allowed for this account.")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes["409"] = _("The case's state does not allow this now.")
        if self.method in ("POST", "PUT", "PATCH"):
            codes["415"] = _("The body is not in a format this endpoint reads.")
        for code, description in codes.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = str(description)
                responses[code] = response
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_authentication.ExpiringTokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from POST /api/v1/auth/token/.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_authentication.VerifiedSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser's login (staff: with the second factor); writes also "
            "need the CSRF token in X-CSRFToken.",
        }
