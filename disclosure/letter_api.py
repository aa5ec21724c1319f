"""Published letters in the REST API: letters and their answers, masked, with consent."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from .letters import public_letters
from .models import PublishedLetter


class PublishedAnswerSerializer(serializers.Serializer):
    department = serializers.CharField()
    department_en = serializers.CharField(allow_blank=True)
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField()
    round = serializers.IntegerField(help_text="1, or 2 for a second answer")


class PublishedLetterSerializer(serializers.ModelSerializer):
    answers = PublishedAnswerSerializer(many=True)

    class Meta:
        model = PublishedLetter
        fields = [
            "tracking_number",
            "kind",
            "topic",
            "body",
            "writer_display",
            "answers",
            "written_at",
            "answered_at",
        ]


PUBLISHED_LETTER_EXAMPLE = {
    "tracking_number": "2026120700000042",
    "kind": "suggestion",
    "topic": "关于增设公交站点的建议",
    "body": "我是王**，电话139****5678，建议在长江西路增设公交站点。",
    "writer_display": "王**",
    "answers": [
        {
            "department": "市交通运输局",
            "department_en": "Transport Bureau",
            "answer": "拟于明年增设站点。",
            "answered_at": "2026-12-10T15:00:00+08:00",
            "round": 1,
        }
    ],
    "written_at": "2026-12-07T10:00:00+08:00",
    "answered_at": "2026-12-10T15:00:00+08:00",
}


@extend_schema(tags=["letters"])
class PublishedLetterViewSet(viewsets.ReadOnlyModelViewSet):
    """Letters to the government published with their writers' consent, names and personal
    data masked; newest answer first."""

    permission_classes = [AllowAny]
    serializer_class = PublishedLetterSerializer
    lookup_field = "tracking_number"
    lookup_value_regex = r"[0-9]{1,32}"
    queryset = PublishedLetter.objects.none()

    def get_queryset(self):
        return public_letters()

    @extend_schema(
        summary="Published letters",
        examples=[OpenApiExample("One", value=PUBLISHED_LETTER_EXAMPLE, response_only=True)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A published letter",
        examples=[OpenApiExample("One", value=PUBLISHED_LETTER_EXAMPLE, response_only=True)],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
