from django.contrib import admin

from .models import ReviewTask


@admin.register(ReviewTask)
class ReviewTaskAdmin(admin.ModelAdmin):
    list_display = ["application", "stage_order", "department", "state", "due_at", "decided_at"]
    list_filter = ["state", "department"]
    search_fields = ["application__tracking_number"]
    list_select_related = ["application", "department"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
