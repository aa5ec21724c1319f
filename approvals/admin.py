from django.contrib import admin

from .models import CalendarDay, ClockStop, Extension, ReviewTask


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClockStopInline(ReadOnlyInline):
    model = ClockStop
    fields = ["reason", "note", "started_at", "ended_at", "stopped_working_days", "started_by"]


class ExtensionInline(ReadOnlyInline):
    model = Extension
    fields = ["working_days", "reason", "state", "requested_by", "decided_by", "decision_note"]


@admin.register(ReviewTask)
class ReviewTaskAdmin(admin.ModelAdmin):
    """Read-only: tasks change only through decisions, clock stops, extensions and the sweeper."""

    list_display = ["application", "stage_order", "department", "state", "due_at", "decided_at"]
    list_filter = ["state", "department", "timeout_policy"]
    search_fields = ["application__tracking_number"]
    list_select_related = ["application", "department"]
    inlines = [ClockStopInline, ExtensionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up working days; deadlines computed after an edit use it."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]
