from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("head/", views.head_overview, name="head"),
    path("extensions/<int:extension_id>/decide/", views.decide_extension, name="decide_extension"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/claim/", views.claim, name="claim"),
    path("tasks/<int:task_id>/release/", views.release, name="release"),
    path("tasks/<int:task_id>/reassign/", views.reassign, name="reassign"),
    path("head/substitutes/", views.substitutions, name="substitutions"),
    path(
        "head/substitutes/<int:substitution_id>/end/",
        views.end_substitution,
        name="end_substitution",
    ),
    path("tasks/<int:task_id>/clock/", views.task_clock, name="clock"),
    path("tasks/<int:task_id>/extension/", views.task_extension, name="extension"),
    path(
        "tasks/<int:task_id>/files/<int:attachment_id>/", views.task_attachment, name="attachment"
    ),
    path(
        "tasks/<int:task_id>/power-of-attorney/",
        views.task_power_of_attorney,
        name="power_of_attorney",
    ),
    path(
        "tasks/<int:task_id>/files/<int:attachment_id>/preview/",
        views.task_attachment_preview,
        name="attachment_preview",
    ),
]
