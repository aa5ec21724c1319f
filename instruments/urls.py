from django.urls import path

from . import views

app_name = "instruments"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("<uuid:token>/", views.check, name="check"),
    path(
        "staff/tasks/<int:task_id>/<int:instrument_id>.pdf",
        views.staff_download,
        name="staff_download",
    ),
]
