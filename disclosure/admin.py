from django.contrib import admin

from .models import (
    Consultation,
    ConsultationComment,
    ConsultationQuestion,
    DecisionRecord,
    Publication,
)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Read-only: drafting, the second person's approval and withdrawal happen on the staff pages
    (disclosure.publishing), so the four-eyes rule and the audit log cannot be side-stepped."""

    list_display = [
        "number",
        "title",
        "kind",
        "classification",
        "state",
        "department",
        "published_at",
    ]
    list_filter = ["kind", "classification", "state", "department"]
    search_fields = ["number", "title"]
    exclude = ["search_vector"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DecisionRecord)
class DecisionRecordAdmin(admin.ModelAdmin):
    list_display = ["tracking_number", "item_name", "applicant_display", "outcome", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["tracking_number", "item_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsultationQuestionInline(admin.TabularInline):
    model = ConsultationQuestion
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    """Read-only: consultations are drafted, approved, moderated and reported on the staff pages
    (disclosure.consultations), with the audit log and the four-eyes rule."""

    list_display = [
        "publication",
        "opens_at",
        "closes_at",
        "report_due_at",
        "report_published_at",
        "report_escalated_at",
    ]
    list_select_related = ["publication"]
    search_fields = ["publication__number", "publication__title"]
    inlines = [ConsultationQuestionInline]


@admin.register(ConsultationComment)
class ConsultationCommentAdmin(ReadOnlyAdmin):
    list_display = ["consultation", "author_display", "state", "created_at", "moderated_at"]
    list_filter = ["state"]
    list_select_related = ["consultation__publication"]
    search_fields = ["consultation__publication__number"]
