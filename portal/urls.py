from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from approvals.views import (
    application_certificate,
    application_certificate_json,
    application_status,
)

from . import views
from .health import health
from .ratelimits import rate_limited

# The admin's own login form gets the same limit as the portal's (django-axes guards both).
admin.site.login = rate_limited("login")(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health, name="health"),
    path("", include("services.urls")),
    path("applications/<int:pk>/", application_status, name="application_status"),
    path(
        "applications/<int:pk>/certificate/",
        application_certificate,
        name="application_certificate",
    ),
    path(
        "applications/<int:pk>/certificate.json",
        application_certificate_json,
        name="application_certificate_json",
    ),
    path("accounts/", include("accounts.urls")),
    path("staff/counter/", include("services.counter_urls")),
    path("staff/", include("approvals.urls")),
    path("disclosure/", include("disclosure.urls")),
    # Django's language switch, remembering the choice for the person's notifications.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
