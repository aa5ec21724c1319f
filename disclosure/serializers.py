"""How the disclosure section looks in the API (disclosure/api.py): only what is public."""

from rest_framework import serializers

from .models import DecisionRecord, Publication


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
