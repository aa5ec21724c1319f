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
    ItemImplementation,
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


class StandardRowsOnly:
    """The standard item's own materials and fields (asked in every region); a region's local
    ones are edited on its implementation."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(implementation=None)


class MaterialInline(StandardRowsOnly, nested_admin.NestedTabularInline):
    model = Material
    extra = 0
    exclude = ["implementation"]


class LocalMaterialInline(nested_admin.NestedTabularInline):
    model = Material
    fk_name = "implementation"
    exclude = ["item"]
    extra = 0
    verbose_name = _("local material")
    verbose_name_plural = _("local materials (asked only in this region)")


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


class FormFieldInline(StandardRowsOnly, nested_admin.NestedStackedInline):
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


class LocalFormFieldInline(nested_admin.NestedStackedInline):
    model = FormField
    form = FormFieldAdminForm
    fk_name = "implementation"
    extra = 0
    fields = FormFieldInline.fields
    verbose_name = _("local form field")
    verbose_name_plural = _("local form fields (asked only in this region)")


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


@admin.action(description=_("Publish the selected implementations"))
def publish(modeladmin, request, queryset):
    published = []
    for implementation in queryset.select_related("item", "region"):
        if implementation.item.is_letter:
            pass  # a letter's departments are chosen at triage: it has no stages to check
        elif not StageDepartment.objects.filter(stage__implementation=implementation).exists():
            messages.error(
                request,
                _("%(item)s has no review stage with a department.") % {"item": implementation},
            )
            continue
        elif ReviewStage.objects.filter(
            implementation=implementation, departments__isnull=True
        ).exists():
            messages.error(
                request, _("%(item)s has a stage without departments.") % {"item": implementation}
            )
            continue
        implementation.is_published = True
        implementation.save(update_fields=["is_published", "updated_at"])
        published.append(str(implementation))
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


@admin.action(description=_("Unpublish the selected implementations"))
def unpublish(modeladmin, request, queryset):
    names = [str(implementation) for implementation in queryset.filter(is_published=True)]
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
    "A standard item is defined once, for the whole province; each region implements it with "
    "its own departments, limits and fee. A new implementation is not published: applicants see "
    "it only once it is. Save it with its review stages (each with at least one department of "
    "its region), then tick it in the list of implementations and choose the action “Publish "
    "the selected implementations”. Unpublishing takes it off the catalogue; applications "
    "already filed go on."
)


class ImplementationInline(nested_admin.NestedTabularInline):
    """The regions implementing the item, each edited on its own page."""

    model = ItemImplementation
    fields = ["region", "accepting_department", "promised_limit_days", "fee", "is_published"]
    readonly_fields = ["is_published"]
    autocomplete_fields = ["region", "accepting_department"]
    show_change_link = True
    extra = 0


@admin.register(ItemImplementation)
class ItemImplementationAdmin(nested_admin.NestedModelAdmin):
    list_display = [
        "item_name",
        "region",
        "is_published",
        "item_theme",
        "promised_limit_days",
        "fee",
    ]
    list_select_related = ["item__theme", "region"]
    list_filter = ["is_published", "region", "item__theme"]
    search_fields = ["item__code", "item__name", "item__name_en", "region__name", "region__code"]
    autocomplete_fields = ["item", "region", "accepting_department"]
    actions = [publish, unpublish]
    readonly_fields = ["is_published"]
    inlines = [ReviewStageInline, LocalMaterialInline, LocalFormFieldInline]

    @admin.display(description=_("standard item"), ordering="item__code")
    def item_name(self, implementation: ItemImplementation) -> str:
        return f"{implementation.item.display_name} ({implementation.item.code})"

    @admin.display(description=_("theme"), ordering="item__theme__name")
    def item_theme(self, implementation: ItemImplementation) -> str:
        return implementation.item.theme.display_name

    fieldsets = [
        (
            None,
            {"fields": ["item", "region", "is_published"], "description": PUBLISHING_HELP},
        ),
        (
            _("In this region"),
            {
                "fields": [
                    "accepting_department",
                    "promised_limit_days",
                    ("fee", "fee_basis"),
                ]
            },
        ),
    ]


@admin.register(ServiceItem)
class ServiceItemAdmin(nested_admin.NestedModelAdmin):
    # Published comes early, the limits share one column and who may apply is a filter only: at
    # 1280 pixels, with the admin's side bar and filters open, every column stays in view.
    list_display = ["code", "item_name", "theme_name", "time_limits"]
    list_select_related = ["theme"]
    list_filter = ["kind", "theme", "audience"]
    search_fields = ["code", "name", "name_en"]
    inlines = [ImplementationInline, MaterialInline, FormFieldInline]

    @admin.display(description=_("name"), ordering="name")
    def item_name(self, item: ServiceItem) -> str:
        return item.display_name

    @admin.display(description=_("theme"), ordering="theme__name")
    def theme_name(self, item: ServiceItem) -> str:
        return item.theme.display_name

    @admin.display(
        description=_("statutory time limit (working days)"), ordering="statutory_limit_days"
    )
    def time_limits(self, item: ServiceItem) -> str:
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
                ]
            },
        ),
        (
            _("Time limits"),
            {
                "fields": [
                    "acceptance_limit_days",
                    ("statutory_limit_days", "joint_limit_days"),
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
    list_display = ["item", "implementation", "number", "created_at"]
    list_select_related = ["item", "implementation__region"]
    readonly_fields = ["item", "implementation", "number", "definition", "created_at"]

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
