from django.contrib import admin

from .models import DecisionRecord, Publication


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "department", "is_published", "published_at"]
    list_filter = ["kind", "department", "is_published"]
    search_fields = ["title", "body"]


@admin.register(DecisionRecord)
class DecisionRecordAdmin(admin.ModelAdmin):
    list_display = ["tracking_number", "item_name", "applicant_display", "outcome", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["tracking_number", "item_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
