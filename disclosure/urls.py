from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    path("", views.index, name="index"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<str:tracking_number>/", views.decision, name="decision"),
    path("publications/", views.publications, name="publications"),
    path("publications/new/", views.new_publication, name="new_publication"),
    path("publications/<int:pk>/", views.publication, name="publication"),
    path("certificates/verify/", views.verify_certificate, name="verify_certificate"),
    path("certificates/keys/", views.certificate_keys, name="certificate_keys"),
    path("certificates/<str:number>/", views.certificate, name="certificate"),
]
