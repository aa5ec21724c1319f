from django.contrib import admin

from .models import DecisionRecord, Publication


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
