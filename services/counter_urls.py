from django.urls import path

from . import counter_views

app_name = "counter"
urlpatterns = [
    path("", counter_views.counter_home, name="home"),
    path("applications/<int:pk>/", counter_views.counter_application, name="application"),
]
