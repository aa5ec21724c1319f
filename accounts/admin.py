from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Membership, User


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
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            _("Identity"),
            {
                "fields": [
                    "kind",
                    "real_name",
                    "resident_id",
                    "mobile",
                    "enterprise_name",
                    "credit_code",
                    "credit_code_override_reason",
                    "credit_code_override_by",
                ]
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        # Who accepted a credit code that fails its check is part of the record.
        if obj.credit_code_override_reason and "credit_code_override_reason" in form.changed_data:
            obj.credit_code_override_by = request.user
        super().save_model(request, obj, form, change)
