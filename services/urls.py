from django.urls import path

from . import authorisation_views, letter_views, views

app_name = "services"
urlpatterns = [
    path("services/", views.catalogue, name="catalogue"),
    path("services/<slug:code>/", views.guide, name="guide"),
    path("services/<slug:code>/apply/", views.start_application, name="start"),
    path(
        "services/<slug:code>/materials/<int:material_id>/sample/",
        views.material_sample,
        name="sample",
    ),
    path("letters/write/", letter_views.write, name="write_letter"),
    path("applications/", views.my_applications, name="mine"),
    path("authorisations/", authorisation_views.authorisations, name="authorisations"),
    path(
        "authorisations/<int:pk>/revoke/",
        authorisation_views.revoke_authorisation,
        name="revoke_authorisation",
    ),
    path(
        "authorisations/<int:pk>/power-of-attorney/",
        authorisation_views.power_of_attorney,
        name="power_of_attorney",
    ),
    path("applications/<int:pk>/edit/", views.edit_application, name="edit"),
    path("applications/<int:pk>/autosave/", views.autosave_application, name="autosave"),
    path("applications/<int:pk>/discard/", views.discard_application, name="discard"),
    path("applications/<int:pk>/withdraw/", views.withdraw_application, name="withdraw"),
    path("applications/<int:pk>/rating/", views.rate_application, name="rate"),
    path(
        "applications/<int:pk>/files/<int:attachment_id>/",
        views.download_own_attachment,
        name="attachment",
    ),
]
