import re

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import (
    Application,
    ApplicationEvent,
    Attachment,
    FormField,
    Material,
    Rating,
    ReviewStage,
    ServiceItem,
    ServiceItemVersion,
    StageDepartment,
    Theme,
)
from .receivers import catalogue_changed


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "name_en", "order"]


class MaterialInline(nested_admin.NestedTabularInline):
    model = Material
    extra = 0


class FormFieldAdminForm(forms.ModelForm):
    class Meta:
        model = FormField
        fields = [
            "order",
            "name",
            "label",
            "kind",
            "is_required",
            "min_length",
            "max_length",
            "pattern",
            "pattern_message",
            "choices",
            "help_text",
            "prefill_from",
        ]

    def clean_pattern(self):
        pattern = self.cleaned_data["pattern"]
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValidationError(
                _("This is not a valid regular expression: %(error)s") % {"error": error}
            ) from error
        return pattern


class FormFieldInline(nested_admin.NestedStackedInline):
    model = FormField
    form = FormFieldAdminForm
    extra = 0
    fields = [
        ("order", "name", "label", "kind", "is_required"),
        ("min_length", "max_length"),
        ("pattern", "pattern_message"),
        "choices",
        "help_text",
        "prefill_from",
    ]


class StageDepartmentInline(nested_admin.NestedTabularInline):
    model = StageDepartment
    extra = 0
    min_num = 1
    autocomplete_fields = ["department"]


class ReviewStageInline(nested_admin.NestedStackedInline):
    """Stages run in order; the departments listed inside one stage review in parallel."""

    model = ReviewStage
    extra = 0
    inlines = [StageDepartmentInline]


@admin.action(description=_("Publish the selected items"))
def publish(modeladmin, request, queryset):
    for item in queryset:
        if (
            not item.stages.exists()
            or StageDepartment.objects.filter(stage__item=item).count() == 0
        ):
            messages.error(
                request, _("%(item)s has no review stage with a department.") % {"item": item}
            )
            continue
        if ReviewStage.objects.filter(item=item, departments__isnull=True).exists():
            messages.error(request, _("%(item)s has a stage without departments.") % {"item": item})
            continue
        item.is_published = True
        item.save(update_fields=["is_published", "updated_at"])


@admin.action(description=_("Unpublish the selected items"))
def unpublish(modeladmin, request, queryset):
    queryset.update(is_published=False)
    catalogue_changed()  # update() sends no post_save


@admin.register(ServiceItem)
class ServiceItemAdmin(nested_admin.NestedModelAdmin):
    list_display = [
        "code",
        "name",
        "theme",
        "audience",
        "statutory_limit_days",
        "promised_limit_days",
        "is_published",
    ]
    list_filter = ["is_published", "theme", "audience"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["accepting_department"]
    actions = [publish, unpublish]
    inlines = [MaterialInline, FormFieldInline, ReviewStageInline]
    readonly_fields = ["is_published"]
    fieldsets = [
        (
            None,
            {"fields": ["code", "name", "name_en", "theme", "audience", "summary", "is_published"]},
        ),
        (
            _("Service guide"),
            {"fields": ["legal_basis", "conditions", "process", "fee", "fee_basis"]},
        ),
        (
            _("Time limits"),
            {
                "fields": [
                    ("accepting_department", "acceptance_limit_days"),
                    ("statutory_limit_days", "promised_limit_days", "joint_limit_days"),
                    "max_extension_days",
                    "rejection_ends_case",
                ]
            },
        ),
        (_("Licensed party"), {"fields": ["subject_rule", "subject_name_field"]}),
    ]


@admin.register(ServiceItemVersion)
class ServiceItemVersionAdmin(admin.ModelAdmin):
    list_display = ["item", "number", "created_at"]
    readonly_fields = ["item", "number", "definition", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = [
        "material_code",
        "original_name",
        "content_type",
        "size",
        "uploaded_at",
        "is_current",
        "reused_from",
    ]


class EventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = ["created_at", "kind", "department", "actor", "note"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Read-only in admin: cases change state only through the virtual government's rules."""

    list_display = ["tracking_number", "item", "applicant", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "item"]
    search_fields = ["tracking_number"]
    list_select_related = ["item", "applicant"]
    inlines = [AttachmentInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Read-only: a rating is the applicant's word, not something staff may edit."""

    list_display = ["application", "score", "created_at"]
    list_filter = ["score"]
    search_fields = ["application__tracking_number"]
    list_select_related = ["application"]
    readonly_fields = ["application", "score", "comment", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
