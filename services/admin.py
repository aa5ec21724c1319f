import re

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    Application,
    ApplicationEvent,
    Attachment,
    FormField,
    Letter,
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
            "label_en",
            "help_text_en",
            "choices_en",
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
        "label_en",
        ("min_length", "max_length"),
        ("pattern", "pattern_message"),
        ("choices", "choices_en"),
        ("help_text", "help_text_en"),
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
    published = []
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
        published.append(str(item))
    if published:
        messages.success(
            request,
            ngettext(
                "Published %(count)d item: %(items)s. Applicants can apply for it now.",
                "Published %(count)d items: %(items)s. Applicants can apply for them now.",
                len(published),
            )
            % {"count": len(published), "items": ", ".join(published)},
        )


@admin.action(description=_("Unpublish the selected items"))
def unpublish(modeladmin, request, queryset):
    names = [str(item) for item in queryset.filter(is_published=True)]
    queryset.update(is_published=False)
    catalogue_changed()  # update() sends no post_save
    if names:
        messages.success(
            request,
            ngettext(
                "Unpublished %(count)d item: %(items)s. Applications already filed continue.",
                "Unpublished %(count)d items: %(items)s. Applications already filed continue.",
                len(names),
            )
            % {"count": len(names), "items": ", ".join(names)},
        )
    else:
        messages.info(request, _("None of the selected items was published."))


PUBLISHING_HELP = _(
    "A new item is not published: applicants see it only once it is. Save it with its "
    "materials, form fields and review stages (each with at least one department), then tick it "
    "in the list of service items and choose the action “Publish the selected items”. "
    "“Unpublish the selected items” takes it off the catalogue; applications already filed go on."
)


@admin.register(ServiceItem)
class ServiceItemAdmin(nested_admin.NestedModelAdmin):
    # Published comes early, the limits share one column and who may apply is a filter only: at
    # 1280 pixels, with the admin's side bar and filters open, every column stays in view.
    list_display = ["code", "item_name", "is_published", "theme_name", "time_limits"]
    list_select_related = ["theme"]
    list_filter = ["is_published", "kind", "theme", "audience"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["accepting_department"]
    actions = [publish, unpublish]
    inlines = [MaterialInline, FormFieldInline, ReviewStageInline]
    readonly_fields = ["is_published"]

    @admin.display(description=_("name"), ordering="name")
    def item_name(self, item: ServiceItem) -> str:
        return item.display_name

    @admin.display(description=_("theme"), ordering="theme__name")
    def theme_name(self, item: ServiceItem) -> str:
        return item.theme.display_name

    @admin.display(description=_("time limit (working days)"), ordering="statutory_limit_days")
    def time_limits(self, item: ServiceItem) -> str:
        if item.promised_limit_days and item.promised_limit_days < item.statutory_limit_days:
            return _("%(statutory)d (promised %(promised)d)") % {
                "statutory": item.statutory_limit_days,
                "promised": item.promised_limit_days,
            }
        return str(item.statutory_limit_days)

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "kind",
                    "name",
                    "name_en",
                    "theme",
                    "audience",
                    "summary",
                    "summary_en",
                    "is_published",
                ],
                "description": PUBLISHING_HELP,
            },
        ),
        (
            _("Service guide"),
            {
                "fields": [
                    ("legal_basis", "legal_basis_en"),
                    ("conditions", "conditions_en"),
                    ("process", "process_en"),
                    "fee",
                    "fee_basis",
                ]
            },
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
        (
            # Letters (政民互动): the triage and each department's answer; no stages to configure.
            _("Letters"),
            {"fields": [("letter_triage_limit_days", "letter_answer_limit_days")]},
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
    """Rows shown, never edited: every field read-only, so none has to be editable on the model
    (a form asked for a non-editable field such as `uploaded_at` fails to build)."""

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
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = ["created_at", "kind", "department", "actor", "note"]
    readonly_fields = fields


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


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    """Read-only: a letter is its writer's words; it is handled on the staff pages."""

    list_display = ["application", "kind", "topic", "consent_to_publish", "satisfaction"]
    list_filter = ["kind", "consent_to_publish", "satisfaction"]
    search_fields = ["application__tracking_number", "topic"]
    list_select_related = ["application"]
    readonly_fields = [
        "application",
        "kind",
        "topic",
        "body",
        "addressed_to",
        "consent_to_publish",
        "answering_departments",
        "satisfaction",
        "rating_comment",
        "rated_at",
        "second_answer_requested_at",
        "second_satisfaction",
        "second_rated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
