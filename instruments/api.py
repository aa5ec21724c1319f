"""The instruments in the REST API: the parties' list and downloads, and public verification.

The same selectors and the same verification as the pages (instruments/views.py).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_access import AccountThrottle, AnonymousThrottle, VerificationRateLimit
from services.permissions import applications_of

from .selectors import case_instruments, instrument_for_party
from .verification import NotAPdf, Verdict, verify_pdf
from .views import pdf_response, read_limited


class InstrumentSerializer(serializers.Serializer):
    event_id = serializers.IntegerField(help_text="The timeline event the instrument is for.")
    kind = serializers.ChoiceField(
        choices=[
            "acceptance",
            "non_acceptance",
            "supplement",
            "approval",
            "refusal",
            "extension",
            "disclosure_answer",
            "certificate",
        ]
    )
    kind_display = serializers.CharField()
    state = serializers.ChoiceField(
        choices=["issued", "being_prepared"],
        help_text="being_prepared: the event happened, its signed PDF is still being made.",
    )
    id = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True)
    issuer = serializers.CharField(allow_null=True)
    dated = serializers.DateField(allow_null=True)
    size = serializers.IntegerField(allow_null=True, help_text="Bytes of the PDF.")
    sha256 = serializers.CharField(allow_null=True)
    revoked = serializers.BooleanField()
    reconsideration_until = serializers.DateField(allow_null=True)
    lawsuit_until = serializers.DateField(allow_null=True)
    download = serializers.CharField(allow_null=True, help_text="The PDF, for the parties.")


def instrument_rows(application) -> list[dict]:
    rows = []
    for expected in case_instruments(application):
        instrument = expected.instrument
        rows.append(
            {
                "event_id": expected.event.pk,
                "kind": expected.kind,
                "kind_display": expected.kind_label,
                "state": "issued" if instrument else "being_prepared",
                "id": instrument.pk if instrument else None,
                "number": instrument.number if instrument else None,
                "issuer": instrument.department.name if instrument else None,
                "dated": instrument.dated if instrument else None,
                "size": instrument.size if instrument else None,
                "sha256": instrument.sha256 if instrument else None,
                "revoked": bool(instrument and instrument.revoked_at),
                "reconsideration_until": instrument.reconsideration_until if instrument else None,
                "lawsuit_until": instrument.lawsuit_until if instrument else None,
                "download": f"/api/v1/applications/{application.pk}/instruments/{instrument.pk}/"
                if instrument
                else None,
            }
        )
    return rows


class ApplicationInstrumentsView(APIView):
    """Every instrument of one of the caller's cases, and those still being prepared."""

    @extend_schema(
        tags=["applications"],
        summary="The written instruments of a case",
        description="Every legal event of the case (acceptance, supplement notice, decision, "
        "extension, answer, e-certificate) with its signed PDF once issued, or "
        "`being_prepared` while its task has not yet made it. Refusals carry the last days to "
        "apply for reconsideration and to sue.",
        responses={200: InstrumentSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A refused case",
                value=[
                    {
                        "event_id": 812,
                        "kind": "refusal",
                        "kind_display": "Decision refusing the licence",
                        "state": "issued",
                        "id": 57,
                        "number": "合市监许〔2026〕第000123号",
                        "issuer": "合肥市市场监督管理局",
                        "dated": "2026-03-02",
                        "size": 64211,
                        "sha256": "9f2c…",
                        "revoked": False,
                        "reconsideration_until": "2026-05-06",
                        "lawsuit_until": "2026-09-02",
                        "download": "/api/v1/applications/41/instruments/57/",
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request, id: int):
        from django.shortcuts import get_object_or_404

        application = get_object_or_404(applications_of(request.user), pk=id)
        return Response(InstrumentSerializer(instrument_rows(application), many=True).data)


class ApplicationInstrumentView(APIView):
    """One signed PDF, exactly as issued."""

    @extend_schema(
        tags=["applications"],
        summary="Download a written instrument (signed PDF)",
        description="The PDF exactly as issued and sealed (PAdES), for the case's applicant.",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request, id: int, instrument_id: int):
        return pdf_response(request, instrument_for_party(request.user, id, instrument_id))


class VerificationUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The PDF to check, at most 2 MB.")


class VerificationSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=Verdict.values)
    explanation = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    kind = serializers.CharField(allow_null=True)
    kind_label = serializers.CharField(allow_null=True)
    issuer = serializers.CharField(allow_null=True)
    dated = serializers.DateField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField(allow_null=True, allow_blank=True)


class InstrumentVerificationView(APIView):
    """Anyone may check a PDF, as on the verification page."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousThrottle, AccountThrottle, VerificationRateLimit]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["instruments"],
        summary="Verify a written instrument",
        description="Upload a PDF: valid (issued by the portal, unchanged, its PAdES signature "
        "valid), altered (claims to be an instrument but differs from it), revoked, or unknown. "
        "Answers the instrument's number, kind, issuer and date, never the party.",
        request=VerificationUploadSerializer,
        responses={200: VerificationSerializer},
        examples=[
            OpenApiExample(
                "Valid",
                value={
                    "result": "valid",
                    "explanation": "This file is the instrument as issued, and its seal "
                    "(signature) is valid.",
                    "number": "合市监许〔2026〕第000123号",
                    "kind": "refusal",
                    "kind_label": "Decision refusing the licence",
                    "issuer": "合肥市市场监督管理局",
                    "dated": "2026-03-02",
                    "revoked_at": None,
                    "revoked_reason": "",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request):
        upload = VerificationUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            verification = verify_pdf(read_limited(upload.validated_data["file"]))
        except NotAPdf as error:
            raise serializers.ValidationError({"file": [str(error)]}) from None
        return Response(VerificationSerializer(verification.as_dict()).data)
