"""The REST API's addresses in one place: /api/v1/… (docs/api.md) and the schema's pages.

Each endpoint lives in the app whose domain it serves (accounts/api.py, services/api.py,
approvals/api.py, instruments/api.py, disclosure/api.py); only here, on top of them all, are they routed, so no
app's api module knows of another's routes, and none imports portal/.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import DefaultRouter

from accounts.api import MeView, ObtainTokenView, RevokeTokenView
from approvals.api import (
    ApplicationStatusViewSet,
    ExtensionViewSet,
    SubstitutionViewSet,
    TaskViewSet,
)
from approvals.letter_api import LetterTaskViewSet, LetterViewSet
from disclosure.api import (
    CertificateVerificationView,
    ConsultationCommentViewSet,
    ConsultationViewSet,
    DecisionRecordViewSet,
    PublicationViewSet,
    StatisticsView,
)
from disclosure.letter_api import PublishedLetterViewSet
from instruments.api import (
    ApplicationInstrumentsView,
    ApplicationInstrumentView,
    InstrumentVerificationView,
)
from services.api import ServiceItemViewSet

from .api import CSPFriendlyRedocView, CSPFriendlySwaggerView

router = DefaultRouter()
router.include_root_view = False
router.register("services", ServiceItemViewSet, basename="service")
# The applicant's applications as the status page shows them (services' filing, with every
# department's review from approvals).
router.register("applications", ApplicationStatusViewSet, basename="application")
router.register("tasks", TaskViewSet, basename="task")
router.register("extensions", ExtensionViewSet, basename="extension")
router.register("substitutions", SubstitutionViewSet, basename="substitution")
router.register("publications", PublicationViewSet, basename="publication")
router.register("decisions", DecisionRecordViewSet, basename="decision")
router.register("consultations", ConsultationViewSet, basename="consultation")
router.register(
    "consultation-comments", ConsultationCommentViewSet, basename="consultation-comment"
)
# Letters to the government (政民互动): the writer's, the staff's tasks, and the published ones.
router.register("letters", LetterViewSet, basename="letter")
router.register("letter-tasks", LetterTaskViewSet, basename="letter-task")
router.register("published-letters", PublishedLetterViewSet, basename="published-letter")

v1 = [
    *router.urls,
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("auth/token/revoke/", RevokeTokenView.as_view(), name="token_revoke"),
    path("auth/me/", MeView.as_view(), name="me"),
    path("certificates/<str:number>/", CertificateVerificationView.as_view(), name="certificate"),
    path("statistics/", StatisticsView.as_view(), name="statistics"),
    # Written instruments (docs/instruments.md): the parties' PDFs and public verification.
    path(
        "applications/<int:id>/instruments/",
        ApplicationInstrumentsView.as_view(),
        name="application-instruments",
    ),
    path(
        "applications/<int:id>/instruments/<int:instrument_id>/",
        ApplicationInstrumentView.as_view(),
        name="application-instrument",
    ),
    path("instruments/verify/", InstrumentVerificationView.as_view(), name="instrument-verify"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", CSPFriendlySwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", CSPFriendlyRedocView.as_view(url_name="api:schema"), name="redoc"),
]
