from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from approvals.views import application_status

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("services.urls")),
    path("applications/<int:pk>/", application_status, name="application_status"),
    path("accounts/", include("accounts.urls")),
    path("staff/", include("approvals.urls")),
    path("disclosure/", include("disclosure.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
