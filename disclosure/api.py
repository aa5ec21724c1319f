"""The public disclosure section in the REST API: publications, the decision register and
e-certificate verification. Anyone may read; nothing that is not public is ever reached.

Publications are read through disclosure.selectors, the one door that lets only what is graded
public and published through; statistics come from disclosure.statistics, as on the page.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import IsCivilServant
from approvals.certificates import CertificateStatus, verify_certificate
from approvals.models import Certificate
from common.api_access import (
    AccountThrottle,
    AnonymousThrottle,
    PortalRateLimit,
    VerificationRateLimit,
)
from common.ratelimits import by_ip
from services.regions import code_prefix

from . import statistics
from .consultations import accepts_comments_from, moderate_comment, submit_comment
from .filters import CommentFilter, ConsultationFilter, DecisionRecordFilter, PublicationFilter
from .forms import CertificateLookupForm, StatisticsForm
from .masking import public_holder_name
from .models import Consultation, ConsultationComment, DecisionRecord, Publication
from .permissions import visible_consultations
from .selectors import (
    public_consultations,
    public_decisions,
    public_publications,
    published_comments,
)
from .serializers import (
    CertificateVerificationSerializer,
    ConsultationDetailSerializer,
    ConsultationSerializer,
    DecisionRecordSerializer,
    ModerationSerializer,
    NewCommentSerializer,
    OwnCommentSerializer,
    PublicationDetailSerializer,
    PublicationSerializer,
    PublicCommentSerializer,
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
    "region_code": "340100",
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


class ConsultationStatisticsRowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The department's code.")
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    consultations = serializers.IntegerField()
    comments_received = serializers.IntegerField()
    comments_published = serializers.IntegerField()
    comments_adopted = serializers.IntegerField(help_text="As the feedback reports say.")
    reports_published = serializers.IntegerField()
    reports_on_time = serializers.IntegerField()
    reports_late = serializers.IntegerField(help_text="Past their deadline and still owed.")


class LetterStatisticsRowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The answering department's code.")
    name = serializers.CharField()
    name_en = serializers.CharField(allow_blank=True)
    assigned = serializers.IntegerField(help_text="Answers asked of it (a second answer counts).")
    answered = serializers.IntegerField()
    average_days = serializers.FloatField(allow_null=True, help_text="Working days to answer.")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="0 to 1.")
    escalated = serializers.IntegerField(help_text="Past the deadline: escalated to the head.")
    second_answers = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically_satisfied = serializers.IntegerField()
    unsatisfied = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(
        allow_null=True, help_text="Satisfied or basically satisfied, of the answers rated."
    )


class StatisticsSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True, help_text="Null: every year.")
    region = serializers.CharField(
        allow_null=True, help_text="The region's GB/T 2260 code; null: every region."
    )
    departments = StatisticsRowSerializer(many=True)
    items = StatisticsRowSerializer(many=True)
    consultations = ConsultationStatisticsRowSerializer(
        many=True, help_text="Consultations on drafts published in the period, by department."
    )
    letters = LetterStatisticsRowSerializer(
        many=True, help_text="Letters to the government assigned in the period, by department."
    )


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
        "approvals, extensions and the applicants' ratings; per department, the consultations "
        "on drafts and their feedback reports; for one calendar year or all, of one region "
        "(its districts included) or all.",
        parameters=[
            OpenApiParameter("year", int, required=False),
            OpenApiParameter(
                "region",
                str,
                required=False,
                description="A region's GB/T 2260 code (340100): its departments and the cases "
                "filed under its implementations, its districts included. Default: every region.",
            ),
        ],
        responses={200: StatisticsSerializer},
        examples=[
            OpenApiExample(
                "2026",
                value={
                    "year": 2026,
                    "region": "340100",
                    "departments": [STATISTICS_ROW_EXAMPLE],
                    "items": [{**STATISTICS_ROW_EXAMPLE, "code": "business-start-up"}],
                    "consultations": [
                        {
                            "code": "general-office",
                            "name": "市人民政府办公室",
                            "name_en": "General Office of the Municipal Government",
                            "consultations": 3,
                            "comments_received": 412,
                            "comments_published": 377,
                            "comments_adopted": 41,
                            "reports_published": 2,
                            "reports_on_time": 2,
                            "reports_late": 0,
                        }
                    ],
                    "letters": [
                        {
                            "code": "transport",
                            "name": "市交通运输局",
                            "name_en": "Transport Bureau",
                            "assigned": 40,
                            "answered": 38,
                            "average_days": 6.2,
                            "on_time_rate": 0.95,
                            "escalated": 2,
                            "second_answers": 3,
                            "satisfied": 25,
                            "basically_satisfied": 6,
                            "unsatisfied": 4,
                            "satisfaction_rate": 0.89,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        form = StatisticsForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        region = form.cleaned_data.get("region")
        period = statistics.Period(
            form.cleaned_data.get("year"), region_prefix=code_prefix(region) if region else ""
        )
        data = {
            "year": period.year,
            "region": region.code if region else None,
            "departments": statistics.statistics_by_department(period),
            "items": statistics.statistics_by_item(period),
            "consultations": statistics.consultations_by_department(period),
            "letters": statistics.letters_by_department(period),
        }
        return Response(StatisticsSerializer(data).data)


# --- consultations (征求意见) ----------------------------------------------------------------------


class CommentRateLimit(PortalRateLimit):
    """RATE_LIMITS["comment"] per account, on the same counter as the page's comment form:
    a flood from one account gets 429 with Retry-After."""

    scope = "comment"

    def _key(self, drf_request):
        def key(group, request):
            user = drf_request.user  # the token's user; the Django request knows the session's
            return f"user:{user.pk}" if user.is_authenticated else by_ip(group, request)

        return key


CONSULTATION_EXAMPLE = {
    "id": 3,
    "number": "2026-000006",
    "title": "关于《合肥市优化营商环境办法（征求意见稿）》公开征求意见的公告",
    "department": {
        "code": "general-office",
        "name": "市人民政府办公室",
        "name_en": "General Office of the Municipal Government",
    },
    "published_at": "2026-12-02T09:00:00+08:00",
    "scope": "本市企业、个体工商户和居民",
    "opens_at": "2026-12-02T00:00:00+08:00",
    "closes_at": "2026-12-31T23:59:59.999999+08:00",
    "period_days": 30,
    "shortened_reason": "",
    "phase": "open",
    "phase_display": "Open for comment",
    "comment_count": 2,
    "questions": [{"id": 5, "order": 1, "text": "您认为企业开办3个工作日的时限是否合适？"}],
    "report_due_at": "2027-01-22T17:30:00+08:00",
    "report": None,
}
PUBLIC_COMMENT_EXAMPLE = {
    "id": 41,
    "author": "张*",
    "text": "建议第三条明确“3个工作日”从何时起算。",
    "answers": [{"question": 5, "text": "合适。"}],
    "created_at": "2026-12-05T10:12:00+08:00",
}
OWN_COMMENT_EXAMPLE = {
    "id": 42,
    "consultation": 3,
    "author_display": "张*",
    "text": "建议第三条明确“3个工作日”从何时起算。",
    "answers": [{"question": 5, "text": "合适。"}],
    "state": "pending",
    "state_display": "Awaiting moderation",
    "rejection_reason": "",
    "created_at": "2026-12-05T10:12:00+08:00",
    "moderated_at": None,
}


@extend_schema(tags=["consultations"])
class ConsultationViewSet(viewsets.ReadOnlyModelViewSet):
    """Drafts published for comment, their periods and questions, and their public comments;
    logged-in citizens and enterprises comment while a consultation is open."""

    filterset_class = ConsultationFilter
    lookup_value_regex = r"[0-9]+"
    queryset = Consultation.objects.none()

    def get_permissions(self):
        if self.action == "comments" and self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "comments" and self.request.method == "POST":
            throttles.append(CommentRateLimit())
        return throttles

    def get_queryset(self):
        return public_consultations().prefetch_related("questions")

    def get_serializer_class(self):
        return ConsultationDetailSerializer if self.action == "retrieve" else ConsultationSerializer

    @extend_schema(
        summary="Consultations",
        description="Drafts published for comment, newest first; filter by phase (upcoming, "
        "open, closed) or department.",
        examples=[OpenApiExample("One", value=CONSULTATION_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A consultation",
        description="The draft's text, the period, who is consulted, the questions, the "
        "count of published comments and, once published, the feedback report.",
        examples=[
            OpenApiExample(
                "One", value={**CONSULTATION_EXAMPLE, "body": "第一条……"}, response_only=True
            )
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        methods=["GET"],
        summary="Published comments",
        description="Comments published after moderation, newest first, a page at a time: "
        "names masked (张*), enterprises by name, identifiers in the text masked.",
        responses={200: PublicCommentSerializer(many=True)},
        examples=[OpenApiExample("One", value=PUBLIC_COMMENT_EXAMPLE, response_only=True)],
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Comment",
        description="A logged-in citizen or enterprise comments while the consultation is "
        "open, optionally answering its questions by id. Refused (400) when empty, too long "
        "(the limits are in the message) or outside the period (the message gives the "
        "closing time); 429 with Retry-After on a flood from one account. The comment is "
        "published after moderation.",
        request=NewCommentSerializer,
        responses={201: OwnCommentSerializer},
        examples=[
            OpenApiExample(
                "Comment",
                value={"body": "建议第三条明确起算时间。", "answers": {"5": "合适。"}},
                request_only=True,
            ),
            OpenApiExample("Kept for moderation", value=OWN_COMMENT_EXAMPLE, response_only=True),
        ],
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def comments(self, request, pk=None):
        consultation = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(published_comments(consultation))
            return self.get_paginated_response(PublicCommentSerializer(page, many=True).data)
        if not accepts_comments_from(request.user):
            raise PermissionDenied(_("Citizens and enterprises comment, with their own account."))
        sent = NewCommentSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        try:
            answers = {int(k): v for k, v in sent.validated_data.get("answers", {}).items()}
        except ValueError:
            raise serializers.ValidationError(
                {"answers": [_("Give each answer under its question's id.")]}
            ) from None
        comment = submit_comment(
            consultation, request.user, body=sent.validated_data["body"], answers=answers
        )
        return Response(OwnCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["consultations"])
class ConsultationCommentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Comments on the consultations of the caller's departments, as written, for moderation.
    Applicants get 403; comments of other departments are 404."""

    permission_classes = [IsAuthenticated, IsCivilServant]
    serializer_class = OwnCommentSerializer
    filterset_class = CommentFilter
    lookup_value_regex = r"[0-9]+"
    queryset = ConsultationComment.objects.none()

    def get_queryset(self):
        return (
            ConsultationComment.objects.filter(
                consultation__in=visible_consultations(self.request.user)
            )
            .prefetch_related("answers")
            .order_by("created_at", "id")
        )

    @extend_schema(
        summary="Comments to moderate",
        description="Oldest first; filter by state (pending, published, rejected) or by "
        "consultation id.",
        examples=[OpenApiExample("One", value=OWN_COMMENT_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A comment",
        description="The comment as its author wrote it, with its state.",
        examples=[OpenApiExample("One", value=OWN_COMMENT_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Moderate",
        description="Publish the comment (its text masked in the public copy) or refuse it "
        "with a reason the author is told; once only (400 when already moderated). For the "
        "department's reviewers and heads.",
        request=ModerationSerializer,
        responses={200: OwnCommentSerializer},
        examples=[
            OpenApiExample("Publish", value={"decision": "publish"}, request_only=True),
            OpenApiExample(
                "Refuse",
                value={"decision": "reject", "reason": "与征求意见稿无关。"},
                request_only=True,
            ),
            OpenApiExample(
                "Published",
                value={**OWN_COMMENT_EXAMPLE, "state": "published", "state_display": "Published"},
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def moderation(self, request, pk=None):
        comment = self.get_object()
        sent = ModerationSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        moderate_comment(
            comment.pk,
            request.user,
            sent.validated_data["decision"],
            sent.validated_data.get("reason", ""),
        )
        return Response(OwnCommentSerializer(self.get_queryset().get(pk=comment.pk)).data)
