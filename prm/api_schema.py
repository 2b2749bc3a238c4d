"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "prm.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A tenant-bound key: `Authorization: Bearer prm_<prefix>_<secret>`. "
                               "Valid only on its tenant's host."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "prm.api_auth.TenantSessionAuthentication"
    name = "Session"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
                "description": "The portal's session (browser); send the CSRF token on writes."}
