"""The public disclosure section in the REST API: publications, the decision register and
e-certificate verification. Anyone may read; nothing that is not public is ever reached.

Publications are read through disclosure.selectors, the one door that lets only what is graded
public and published through; statistics come from disclosure.statistics, as on the page.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.certificates import CertificateStatus, verify_certificate
from approvals.models import Certificate
from common.api_access import AccountThrottle, AnonymousThrottle, VerificationRateLimit

from . import statistics
from .filters import DecisionRecordFilter, PublicationFilter
from .forms import CertificateLookupForm, YearForm
from .masking import public_holder_name
from .models import DecisionRecord, Publication
from .selectors import public_decisions, public_publications
from .serializers import (
    CertificateVerificationSerializer,
    DecisionRecordSerializer,
    PublicationDetailSerializer,
    PublicationSerializer,
)

PUBLICATION_EXAMPLE = {
    "id": 5,
    "number": "2026-000005",
    "kind": "notice",
    "kind_display": "Notice or announcement",
    "title": "关于开展营商环境评估的通知",
    "department": {"code": "market", "name": "市场监督管理局", "name_en": "Market Regulation"},
    "published_at": "2026-11-20T09:00:00+08:00",
}


@extend_schema(tags=["disclosure"])
class PublicationViewSet(viewsets.ReadOnlyModelViewSet):
    """Notices and policy documents published by the departments (proactive disclosure)."""

    permission_classes = [AllowAny]
    filterset_class = PublicationFilter
    lookup_value_regex = r"[0-9]+"
    queryset = Publication.objects.none()

    def get_queryset(self):
        return public_publications()

    def get_serializer_class(self):
        return PublicationDetailSerializer if self.action == "retrieve" else PublicationSerializer

    @extend_schema(
        summary="Search publications",
        description="Published notices and documents, newest first; filter by kind, "
        "department, words and publication date.",
        examples=[OpenApiExample("One", value=PUBLICATION_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A publication",
        description="One published notice or document with its text; 404 if it is not public.",
        examples=[
            OpenApiExample(
                "One", value={**PUBLICATION_EXAMPLE, "body": "正文……"}, response_only=True
            )
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


DECISION_EXAMPLE = {
    "tracking_number": "2026112300000042",
    "item_code": "food-business-licence",
    "item_name": "食品经营许可",
    "item_name_en": "Food business licence",
    "display_item_name": "Food business licence",
    "applicant_display": "张*",
    "outcome": "approved",
    "outcome_display": "Approved",
    "departments": "市场监督管理局、税务局",
    "deemed_approved_by": "",
    "decided_at": "2026-11-25T15:00:00+08:00",
    "published_at": "2026-11-25T15:00:00+08:00",
}


@extend_schema(tags=["disclosure"])
class DecisionRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """The register of permit decisions (Administrative License Law Art. 40), masked."""

    permission_classes = [AllowAny]
    filterset_class = DecisionRecordFilter
    serializer_class = DecisionRecordSerializer
    queryset = DecisionRecord.objects.none()
    lookup_field = "tracking_number"
    lookup_value_regex = r"[0-9A-Za-z-]+"

    def get_queryset(self):
        return public_decisions()

    @extend_schema(
        summary="The decision register",
        description="Every decision as soon as it is taken, newest first: a natural person "
        "masked as 张*, an enterprise by name.",
        examples=[OpenApiExample("One", value=DECISION_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A published decision",
        description="The register's entry for one tracking number.",
        examples=[OpenApiExample("One", value=DECISION_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class CertificateVerificationView(APIView):
    """What anyone holding the paper or the QR code may check, as on the verification page."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousThrottle, AccountThrottle, VerificationRateLimit]

    @extend_schema(
        tags=["certificates"],
        summary="Verify an e-certificate",
        description="Is the certificate genuine (its Ed25519 signature checks), still valid, "
        "expired or revoked? Spaces and lower case in the number are forgiven. Shares the "
        "verification page's rate limit per address.",
        parameters=[OpenApiParameter("number", str, OpenApiParameter.PATH)],
        responses={200: CertificateVerificationSerializer},
        examples=[
            OpenApiExample(
                "Valid",
                value={
                    "number": "ZZ202600000042",
                    "status": "valid",
                    "status_display": "Valid",
                    "holder_kind": "natural_person",
                    "holder_name": "张*",
                    "holder_identifier": "110105********1234",
                    "item_code": "food-business-licence",
                    "item_name": "食品经营许可",
                    "item_name_en": "Food business licence",
                    "scope": "食品经营许可",
                    "valid_from": "2026-11-25",
                    "valid_until": "2031-11-24",
                    "issuing_departments": "市场监督管理局",
                    "issued_at": "2026-11-25T15:00:00+08:00",
                    "revoked_at": None,
                    "revoked_reason": "",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, number: str):
        form = CertificateLookupForm({"number": number})
        if form.is_valid():
            number = form.cleaned_data["number"]
        certificate = Certificate.objects.filter(number=number).first()
        if certificate is None:
            raise Http404(_("No e-certificate has this number."))
        status = verify_certificate(certificate)
        data = {
            field: getattr(certificate, field)
            for field in CertificateVerificationSerializer().fields
            if hasattr(certificate, field)
        }
        data.update(
            status=status,
            status_display=str(CertificateStatus(status).label),
            holder_name=public_holder_name(certificate),
        )
        return Response(CertificateVerificationSerializer(data).data)


class StatisticsRowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The department's or the service item's code.")
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    received = serializers.IntegerField()
    decided = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    average_days = serializers.FloatField(
        allow_null=True, help_text="Average working days from receipt to decision."
    )
    p90_days = serializers.FloatField(allow_null=True, help_text="90th percentile, working days.")
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text="Share of decisions within the time limit, 0 to 1."
    )
    deemed_approvals = serializers.IntegerField()
    extensions = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True, help_text="Applicants' ratings, 1-5.")
    ratings = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True, help_text="Null: every year.")
    departments = StatisticsRowSerializer(many=True)
    items = StatisticsRowSerializer(many=True)


STATISTICS_ROW_EXAMPLE = {
    "code": "market",
    "name": "市场监督管理局",
    "name_en": "Market Regulation",
    "received": 120,
    "decided": 110,
    "approved": 101,
    "rejected": 9,
    "average_days": 3.5,
    "p90_days": 7.0,
    "on_time_rate": 0.98,
    "deemed_approvals": 2,
    "extensions": 3,
    "average_rating": 4.6,
    "ratings": 57,
}


class StatisticsView(APIView):
    """The public statistics page's figures (disclosure/statistics.py), by department and item."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["disclosure"],
        summary="Public statistics",
        description="Per department and per service item: received, decided, approved, "
        "rejected, average and 90th-percentile working days to decision, on-time rate, deemed "
        "approvals, extensions and the applicants' ratings; for one calendar year or all.",
        parameters=[OpenApiParameter("year", int, required=False)],
        responses={200: StatisticsSerializer},
        examples=[
            OpenApiExample(
                "2026",
                value={
                    "year": 2026,
                    "departments": [STATISTICS_ROW_EXAMPLE],
                    "items": [{**STATISTICS_ROW_EXAMPLE, "code": "business-start-up"}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        form = YearForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        period = statistics.Period(form.cleaned_data.get("year"))
        data = {
            "year": period.year,
            "departments": statistics.statistics_by_department(period),
            "items": statistics.statistics_by_item(period),
        }
        return Response(StatisticsSerializer(data).data)
