from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path(
        "tasks/<int:task_id>/files/<int:attachment_id>/", views.task_attachment, name="attachment"
    ),
]
