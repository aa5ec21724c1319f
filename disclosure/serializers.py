"""How the disclosure section looks in the API (disclosure/api.py): only what is public."""

from rest_framework import serializers

from .models import (
    Consultation,
    ConsultationComment,
    ConsultationQuestion,
    DecisionRecord,
    Publication,
)


class PublicationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    department = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = ["id", "number", "kind", "kind_display", "title", "department", "published_at"]

    def get_department(self, publication) -> dict[str, str]:
        d = publication.department
        return {"code": d.code, "name": d.name, "name_en": d.name_en}


class PublicationDetailSerializer(PublicationSerializer):
    class Meta(PublicationSerializer.Meta):
        fields = PublicationSerializer.Meta.fields + ["body"]


class DecisionRecordSerializer(serializers.ModelSerializer):
    """The register's row: the applicant is already masked when the record is written."""

    outcome_display = serializers.CharField(source="get_outcome_display")
    display_item_name = serializers.CharField()

    class Meta:
        model = DecisionRecord
        fields = [
            "tracking_number",
            "item_code",
            "item_name",
            "item_name_en",
            "display_item_name",
            "region_code",
            "applicant_display",
            "outcome",
            "outcome_display",
            "departments",
            "deemed_approved_by",
            "decided_at",
            "published_at",
        ]


class CertificateVerificationSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField(help_text="valid, expired, revoked or invalid (signature)")
    status_display = serializers.CharField()
    holder_kind = serializers.CharField()
    holder_name = serializers.CharField(help_text="A natural person's name is masked (张*).")
    holder_identifier = serializers.CharField(help_text="Masked for a natural person.")
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    item_name_en = serializers.CharField()
    scope = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    issuing_departments = serializers.CharField()
    issued_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField()


# --- consultations -------------------------------------------------------------------------------


class ConsultationQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsultationQuestion
        fields = ["id", "order", "text"]


class ConsultationSerializer(serializers.ModelSerializer):
    """A consultation as the public sees it: the draft's publication and its period."""

    number = serializers.CharField(source="publication.number")
    title = serializers.CharField(source="publication.title")
    department = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(source="publication.published_at")
    phase = serializers.SerializerMethodField(help_text="upcoming, open or closed")
    phase_display = serializers.SerializerMethodField()
    period_days = serializers.IntegerField(help_text="Calendar days, both ends counted.")
    comment_count = serializers.IntegerField(
        source="public_comments", help_text="Comments published after moderation."
    )
    questions = ConsultationQuestionSerializer(many=True)
    report = serializers.SerializerMethodField(
        help_text="The published feedback report (意见采纳情况), or null."
    )

    class Meta:
        model = Consultation
        fields = [
            "id",
            "number",
            "title",
            "department",
            "published_at",
            "scope",
            "opens_at",
            "closes_at",
            "period_days",
            "shortened_reason",
            "phase",
            "phase_display",
            "comment_count",
            "questions",
            "report_due_at",
            "report",
        ]

    def get_department(self, consultation) -> dict[str, str]:
        d = consultation.publication.department
        return {"code": d.code, "name": d.name, "name_en": d.name_en}

    def get_phase(self, consultation) -> str:
        return consultation.phase()

    def get_phase_display(self, consultation) -> str:
        return str(Consultation.Phase(consultation.phase()).label)

    def get_report(self, consultation) -> dict | None:
        if consultation.report_published_at is None:
            return None
        return {
            "number": consultation.report.number,
            "published_at": serializers.DateTimeField().to_representation(
                consultation.report_published_at
            ),
            "adopted_count": consultation.adopted_count,
        }


class ConsultationDetailSerializer(ConsultationSerializer):
    body = serializers.CharField(source="publication.body")

    class Meta(ConsultationSerializer.Meta):
        fields = ConsultationSerializer.Meta.fields + ["body"]


class PublicAnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    text = serializers.CharField(source="public_text")


class PublicCommentSerializer(serializers.ModelSerializer):
    """A published comment: the masked name and the masked copy of the text."""

    author = serializers.CharField(source="author_display", help_text="张* or an enterprise.")
    text = serializers.CharField(source="public_body")
    answers = PublicAnswerSerializer(many=True)

    class Meta:
        model = ConsultationComment
        fields = ["id", "author", "text", "answers", "created_at"]


class NewCommentSerializer(serializers.Serializer):
    """A comment as sent: the limits are the page's (settings CONSULTATION_*_MAX_CHARS)."""

    body = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The comment; not empty."
    )
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Answers by question id, each optional.",
    )


class CommentAnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    text = serializers.CharField()


class OwnCommentSerializer(serializers.ModelSerializer):
    """A comment as its author and the department see it: as written, with its state."""

    state_display = serializers.CharField(source="get_state_display")
    text = serializers.CharField(source="body")
    answers = CommentAnswerSerializer(many=True)
    consultation = serializers.IntegerField(source="consultation_id")

    class Meta:
        model = ConsultationComment
        fields = [
            "id",
            "consultation",
            "author_display",
            "text",
            "answers",
            "state",
            "state_display",
            "rejection_reason",
            "created_at",
            "moderated_at",
        ]


class ModerationSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["publish", "reject"])
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Required to reject: the author is told.",
    )
