import json

from django.contrib import admin
from django.contrib.admin.widgets import AdminTextInputWidget
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField
from .identity import is_valid_resident_id
from .models import AuditEntry, Department, Membership, Notification, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_service_centre"]
    search_fields = ["code", "name", "name_en"]
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "kind", "real_name", "enterprise_name", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff"]
    search_fields = ["username", "real_name", "enterprise_name", "credit_code"]
    readonly_fields = ["credit_code_override_by"]
    formfield_overrides = {EncryptedTextField: {"widget": AdminTextInputWidget}}
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            _("Identity"),
            {
                "fields": [
                    "kind",
                    "real_name",
                    "resident_id",
                    "mobile",
                    "address",
                    "enterprise_name",
                    "credit_code",
                    "credit_code_override_reason",
                    "credit_code_override_by",
                ]
            },
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        # The ID number column is encrypted: a whole, valid number is found by its blind index.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_valid_resident_id(search_term):
            queryset |= self.model.objects.with_resident_id(search_term)
        return queryset, may_have_duplicates

    def save_model(self, request, obj, form, change):
        # Who accepted a credit code that fails its check is part of the record.
        if obj.credit_code_override_reason and "credit_code_override_reason" in form.changed_data:
            obj.credit_code_override_by = request.user
        super().save_model(request, obj, form, change)


class AuditActionFilter(admin.SimpleListFilter):
    """By kind of action, from a fixed list: a DISTINCT over millions of entries is not free."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        from .audit import ACTIONS

        return [(action, action) for action in ACTIONS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action=self.value())
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, for administrators to read. Nobody adds, changes or deletes entries here,
    superusers included; the database refuses it too (migration 0006 of accounts)."""

    list_display = ["at", "actor_label", "action", "object_reference", "ip"]
    list_filter = [AuditActionFilter, "chain", "at"]
    # Exact matches, which the indexes answer; the log grows by thousands of entries a day.
    search_fields = ["=actor_label", "=object_id", "=action"]
    ordering = ["-id"]
    list_per_page = 50
    show_full_result_count = False
    fields = [
        "id",
        "at",
        "actor_label",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "ip",
        "pretty_detail",
        "chain",
        "algorithm",
        "previous_hash",
        "hash",
    ]
    readonly_fields = fields

    @admin.display(description=_("object"))
    def object_reference(self, entry: AuditEntry) -> str:
        return f"{entry.object_type}:{entry.object_id}" if entry.object_type else ""

    @admin.display(description=_("detail"))
    def pretty_detail(self, entry: AuditEntry) -> str:
        text = json.dumps(entry.detail, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what the portal told whom and whether the e-mail left (for support)."""

    list_display = ["created_at", "recipient", "kind", "key", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["key", "recipient__username"]
    list_select_related = ["recipient"]
    readonly_fields = [
        "recipient",
        "kind",
        "key",
        "context",
        "url",
        "created_at",
        "read_at",
        "emailed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
