from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from accounts import views as account_views
from approvals.letter_views import letter_page, letter_rating, letter_second_answer
from approvals.views import (
    application_certificate,
    application_certificate_json,
    application_status,
)
from common.ratelimits import rate_limited
from disclosure.sitemaps import SITEMAPS
from instruments import views as instrument_views
from services import catalogue_admin_io

from . import api_urls, views
from .bench_views import bench_urlpatterns
from .health import health

# The admin's own login form gets the same limit as the portal's (django-axes guards both).
admin.site.login = rate_limited("login")(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health, name="health"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
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
    path(
        "applications/<int:pk>/instruments/<int:instrument_id>.pdf",
        instrument_views.download,
        name="instrument_download",
    ),
    # The writer's letter (政民互动): its answers, the rating and the second answer.
    path("letters/<int:pk>/", letter_page, name="letter"),
    path("letters/<int:pk>/rating/", letter_rating, name="letter_rating"),
    path("letters/<int:pk>/second-answer/", letter_second_answer, name="letter_second_answer"),
    path("accounts/", include("accounts.urls")),
    path("staff/counter/", include("services.counter_urls")),
    path("staff/", include("approvals.urls")),
    path("disclosure/", include("disclosure.urls")),
    path("instruments/", include("instruments.urls")),
    # Django's language switch, remembering the choice for the person's notifications.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    # The elderly-friendly mode (适老化), remembered in a cookie and on the account.
    path("display/elderly-mode/", views.elderly_mode, name="elderly_mode"),
    # Import and export of the catalogue (docs/catalogue.md), before the admin's own URLs.
    path("admin/catalogue/", include(catalogue_admin_io.urls())),
    path("admin/", admin.site.urls),
    # The REST API and its documentation (docs/api.md).
    path("api/", include((api_urls.urlpatterns, "api"))),
]

# Only on the benchmark's server (bench/server.py): the bare view all pages are compared to.
urlpatterns += bench_urlpatterns()

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME

# A database outage answers 503 with a plain page instead of a 500 (portal/unavailable.py).
handler500 = "portal.unavailable.server_error"
handler400 = "portal.unavailable.bad_request"
handler403 = "portal.unavailable.permission_denied"
# An address no URL matches: JSON under /api/, the portal's page elsewhere.
handler404 = "portal.api.not_found"
