import re

import nested_admin
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Department, Region

from . import catalogue_history, catalogue_publishing, catalogue_rules
from .catalogue import item_definition
from .forms import ApplicationForm
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
    ReviewState,
    ServiceItem,
    ServiceItemVersion,
    StageDepartment,
    Theme,
)
from .receivers import catalogue_changed
from .views import guide_context


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


# --- draft → review → publish (services/catalogue_publishing.py) --------------------------------


def say_refused(request, implementation, error) -> None:
    """A refusal, in the administrator's words, naming the implementation and each field."""
    messages.error(
        request,
        _("%(implementation)s: %(reasons)s")
        % {"implementation": implementation, "reasons": " ".join(refusal_messages(error))},
    )


def refusal_messages(error) -> list[str]:
    return list(getattr(error, "messages", None) or [str(error)])


def run_transition(request, queryset, transition, done: str) -> None:
    """Apply one transition to each selected implementation; say which moved and why others
    did not. Each runs in its own transaction: one refusal does not undo the others."""
    moved = []
    for implementation in queryset.select_related("item", "region"):
        try:
            transition(implementation.pk, request.user)
        except (ValidationError, PermissionDenied) as error:
            say_refused(request, implementation, error)
        else:
            moved.append(str(implementation))
    if moved:
        messages.success(request, done % {"count": len(moved), "implementations": ", ".join(moved)})


@admin.action(description=_("Submit the selected drafts for review"))
def submit_for_review(modeladmin, request, queryset):
    run_transition(
        request,
        queryset,
        catalogue_publishing.submit_for_review,
        _(
            "Submitted for review (%(count)d): %(implementations)s. A second administrator approves."
        ),
    )


@admin.action(description=_("Approve the selected implementations in review"))
def approve(modeladmin, request, queryset):
    run_transition(
        request,
        queryset,
        catalogue_publishing.approve,
        _("Approved (%(count)d): %(implementations)s. Publish them to show them to applicants."),
    )


@admin.action(description=_("Publish the selected approved drafts"))
def publish(modeladmin, request, queryset):
    run_transition(
        request,
        queryset,
        catalogue_publishing.publish,
        _(
            "Published (%(count)d): %(implementations)s. New applications follow the "
            "published version; cases already filed keep theirs."
        ),
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


class DepartmentLimitForm(forms.Form):
    """One department's time limit across the selected implementations."""

    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), empty_label=None
    )
    time_limit_days = forms.IntegerField(
        label=_("New time limit (working days)"), min_value=1, max_value=365
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


@admin.action(description=_("Change one department's time limit in the selected implementations"))
def change_department_limit(modeladmin, request, queryset):
    """An intermediate page: choose the department and its new limit; each implementation whose
    stages name it becomes a draft with the new limit (services/catalogue_publishing.py)."""
    implementations = list(queryset.select_related("item", "region"))
    departments = Department.objects.filter(
        pk__in=StageDepartment.objects.filter(stage__implementation__in=implementations).values(
            "department"
        )
    ).order_by("code")
    form = DepartmentLimitForm(
        request.POST if "apply" in request.POST else None, departments=departments
    )
    if form.is_bound and form.is_valid():
        department = form.cleaned_data["department"]
        days = form.cleaned_data["time_limit_days"]
        try:
            changed = catalogue_publishing.change_department_limit(
                implementations, department=department, time_limit_days=days, editor=request.user
            )
        except ValidationError as error:
            form.add_error("time_limit_days", error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(department)s now has %(days)d working days in %(count)d implementation; "
                    "it is a draft, to be reviewed and published.",
                    "%(department)s now has %(days)d working days in %(count)d implementations; "
                    "they are drafts, to be reviewed and published.",
                    len(changed),
                )
                % {"department": department, "days": days, "count": len(changed)},
            )
            return None
    return TemplateResponse(
        request,
        "admin/services/change_department_limit.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Change one department's time limit"),
            "form": form,
            "implementations": implementations,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


class DepartmentFilter(admin.SimpleListFilter):
    """Implementations in which a department reviews or accepts."""

    title = _("department")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Department.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        department = int(self.value())
        return queryset.filter(
            Q(accepting_department=department) | Q(stages__departments__department=department)
        ).distinct()


class EditsMakeDrafts:
    """Saving changed rows of a published (or reviewed) implementation makes its working copy a
    draft, while its published version keeps serving applicants; the rows of an
    implementation published before versions are first frozen as its published version."""

    def implementations_edited(self, obj) -> list[ItemImplementation]:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        self._before = {}
        if change:
            for implementation in self.implementations_edited(obj):
                catalogue_publishing.keep_serving_the_published(implementation)
                self._before[implementation.pk] = catalogue_publishing.definition_json(
                    ItemImplementation.objects.select_related("item", "region").get(
                        pk=implementation.pk
                    )
                )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            if isinstance(form.instance, ItemImplementation):
                catalogue_publishing.mark_edited(form.instance.pk, request.user)
            return
        for implementation in self.implementations_edited(form.instance):
            before = self._before.get(implementation.pk)
            if before != catalogue_publishing.definition_json(implementation):
                catalogue_publishing.mark_edited(implementation.pk, request.user)


def state_label(implementation: ItemImplementation) -> str:
    """The state, and what applicants see meanwhile."""
    state = implementation.get_review_state_display()
    if implementation.review_state != ReviewState.PUBLISHED and implementation.is_published:
        return _("%(state)s (the published version serves applicants)") % {"state": state}
    return str(state)


PUBLISHING_HELP = _(
    "A standard item is defined once, for the whole province; each region implements it with "
    "its own departments, limits and fee. What applicants see is the published version: an edit "
    "here makes a draft, which applicants do not see. Preview the draft, submit it for review; a "
    "second administrator approves it, and publishing it makes it what new applications follow. "
    "Unpublishing takes it off the catalogue; applications already filed go on."
)


class ImplementationInline(nested_admin.NestedTabularInline):
    """The regions implementing the item, each edited on its own page."""

    model = ItemImplementation
    fields = [
        "region",
        "accepting_department",
        "promised_limit_days",
        "fee",
        "review_state",
        "is_published",
    ]
    readonly_fields = ["review_state", "is_published"]
    autocomplete_fields = ["region", "accepting_department"]
    show_change_link = True
    extra = 0


class RowLinksKeepTheFilters(ChangeList):
    """Each row's link carries the list's filters, so that saving the row returns to the same
    filtered page, as Django's does; but the query string is added once, here, where Django's
    `items_for_result` resolves every row's URL again to find out whether it is the list's own
    (about a quarter of a filtered page's time in the province's list of implementations)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_filters, self.preserved_filters = self.preserved_filters, ""

    def url_for_result(self, result) -> str:
        url = super().url_for_result(result)
        return f"{url}?{self.row_filters}" if self.row_filters else url


def search_words(search_term: str) -> list[str]:
    """The words of an admin search, as Django splits them: a quoted phrase is one word."""
    words = []
    for word in smart_split(search_term):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        words.append(word)
    return words


CATALOGUE_TABS = forms.Media(
    js=["js/admin_catalogue_tabs.js"], css={"all": ["css/admin_catalogue_tabs.css"]}
)


@admin.register(ItemImplementation)
class ItemImplementationAdmin(EditsMakeDrafts, SimpleHistoryAdmin, nested_admin.NestedModelAdmin):
    """A province has some 10,000 implementations (issue 16; bench/catalogue.py times this list
    at that size, target p95 ≤ 300 ms). Its time is the rendering of its rows, so a page shows
    50 of them, not Django's 100: a region's implementations of one theme are a page or two,
    and the search and the filters, not paging, are how an administrator finds one. The total
    under a filter is not counted (a second COUNT over the whole table); Django offers "Show
    all" instead."""

    change_form_template = "admin/services/catalogue_change_form.html"
    list_per_page = 50
    show_full_result_count = False
    list_display = [
        "item_code",
        "item_name",
        "region",
        "state",
        "is_published",
        "promised_limit_days",
        "fee",
        "published_version_number",
    ]
    list_select_related = ["item", "region", "published_version"]
    list_filter = ["review_state", "is_published", "region", DepartmentFilter, "item__theme"]
    # Searched by get_search_results below, among items and regions first.
    search_fields = ["item__code", "item__name", "item__name_en", "region__name", "region__code"]
    autocomplete_fields = ["item", "region", "accepting_department"]
    actions = [submit_for_review, approve, publish, unpublish, change_department_limit]
    readonly_fields = [
        "is_published",
        "state",
        "published_version",
        "last_edited_by",
        "last_edited_at",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "published_by",
        "published_at",
        "recent_changes",
    ]
    inlines = [ReviewStageInline, LocalMaterialInline, LocalFormFieldInline]

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
        (
            _("Review and publication"),
            {
                "fields": [
                    ("state", "published_version"),
                    ("last_edited_by", "last_edited_at"),
                    ("submitted_by", "submitted_at"),
                    ("approved_by", "approved_at"),
                    ("published_by", "published_at"),
                ],
            },
        ),
        (_("Recent changes"), {"fields": ["recent_changes"], "classes": ["collapse"]}),
    ]

    @property
    def media(self):
        return super().media + CATALOGUE_TABS

    def implementations_edited(self, obj):
        return [obj]

    def get_changelist(self, request, **kwargs):
        return RowLinksKeepTheFilters

    def get_search_results(self, request, queryset, search_term):
        """Each word matches the item's code or name (in either language) or the region's name
        or code, as `search_fields` with Django's search would; but the words are looked for
        among the 1,000 items and the regions, not in every one of 10,000 joined rows."""
        for word in search_words(search_term):
            items = ServiceItem.objects.filter(
                Q(code__icontains=word) | Q(name__icontains=word) | Q(name_en__icontains=word)
            )
            regions = Region.objects.filter(Q(name__icontains=word) | Q(code__icontains=word))
            queryset = queryset.filter(Q(item__in=items) | Q(region__in=regions))
        return queryset, False

    @admin.display(description=_("item code"), ordering="item__code")
    def item_code(self, implementation):
        return implementation.item.code

    @admin.display(description=_("name"), ordering="item__name")
    def item_name(self, implementation):
        return implementation.item.display_name

    @admin.display(description=_("state"), ordering="review_state")
    def state(self, implementation):
        return state_label(implementation)

    @admin.display(description=_("published version"))
    def published_version_number(self, implementation):
        version = implementation.published_version
        return f"v{version.number}" if version else "—"

    @admin.display(description=_("changes"))
    def recent_changes(self, implementation):
        if implementation.pk is None:
            return "—"
        return render_to_string(
            "admin/services/recent_changes.html",
            {"changes": catalogue_history.changes_of(implementation, limit=30)},
        )

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path(
                "<int:pk>/preview/",
                view(self.preview_guide),
                name="services_implementation_preview",
            ),
            path(
                "<int:pk>/preview/form/",
                view(self.preview_form),
                name="services_implementation_preview_form",
            ),
            path(
                "<int:pk>/workflow/<slug:step>/",
                view(self.workflow_step),
                name="services_implementation_workflow",
            ),
            *super().get_urls(),
        ]

    def _implementation_for(self, request, pk) -> ItemImplementation:
        implementation = get_object_or_404(
            ItemImplementation.objects.select_related("item__theme", "region"), pk=pk
        )
        if not self.has_view_permission(request, implementation):
            raise PermissionDenied
        return implementation

    def preview_guide(self, request, pk):
        """The service guide of the draft, with the applicants' template (services/views.py)."""
        implementation = self._implementation_for(request, pk)
        definition = item_definition(implementation)
        return TemplateResponse(
            request,
            "services/guide.html",
            {
                **guide_context(implementation, definition),
                "preview": True,
                "other_regions": False,
                "drafts": [],
                "apply_as": [],
            },
        )

    def preview_form(self, request, pk):
        """The application form of the draft, as an applicant will see it; it sends nothing."""
        implementation = self._implementation_for(request, pk)
        definition = item_definition(implementation)
        application = Application(
            item=implementation.item, implementation=implementation, status="draft"
        )
        form = ApplicationForm(definition)
        return TemplateResponse(
            request,
            "services/edit_application.html",
            {
                "application": application,
                "form": form,
                "preview": True,
                "at_counter": False,
                "current_attachments": {},
                "materials": [(field, None, None, []) for field in form.material_fields],
                "supplement_requests": [],
            },
        )

    STEPS = {
        "submit": catalogue_publishing.submit_for_review,
        "approve": catalogue_publishing.approve,
        "publish": catalogue_publishing.publish,
        "send-back": catalogue_publishing.send_back,
    }

    def workflow_step(self, request, pk, step):
        """The change page's buttons: one transition, then back to the page."""
        implementation = self._implementation_for(request, pk)
        if request.method != "POST" or step not in self.STEPS:
            raise PermissionDenied
        if not self.has_change_permission(request, implementation):
            raise PermissionDenied
        try:
            self.STEPS[step](implementation.pk, request.user)
        except (ValidationError, PermissionDenied) as error:
            say_refused(request, implementation, error)
        else:
            implementation.refresh_from_db()
            messages.success(
                request,
                _("%(implementation)s: %(state)s.")
                % {"implementation": implementation, "state": state_label(implementation)},
            )
        return redirect("admin:services_itemimplementation_change", implementation.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["implementation"] = obj
            context["problems"] = catalogue_rules.publishing_problems(obj)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )


class ImplementationRegionFilter(admin.SimpleListFilter):
    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [
            (code, name)
            for code, name in Region.objects.filter(implementations__isnull=False)
            .distinct()
            .order_by("code")
            .values_list("code", "name")
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(implementations__region__code=self.value()).distinct()
        return queryset


class ImplementationStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return ReviewState.choices

    def queryset(self, request, queryset):
        if self.value() in ReviewState.values:
            return queryset.filter(implementations__review_state=self.value()).distinct()
        return queryset


class ItemDepartmentFilter(DepartmentFilter):
    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        department = int(self.value())
        return queryset.filter(
            Q(implementations__accepting_department=department)
            | Q(implementations__stages__departments__department=department)
        ).distinct()


@admin.register(ServiceItem)
class ServiceItemAdmin(EditsMakeDrafts, SimpleHistoryAdmin, nested_admin.NestedModelAdmin):
    change_form_template = "admin/services/catalogue_change_form.html"
    # Published comes early, the limits share one column and who may apply is a filter only: at
    # 1280 pixels, with the admin's side bar and filters open, every column stays in view.
    list_display = ["code", "item_name", "theme_name", "time_limits"]
    list_select_related = ["theme"]
    list_filter = [
        "kind",
        "theme",
        "audience",
        ImplementationRegionFilter,
        ItemDepartmentFilter,
        ImplementationStateFilter,
    ]
    search_fields = ["code", "name", "name_en"]
    inlines = [ImplementationInline, MaterialInline, FormFieldInline]

    @property
    def media(self):
        return super().media + CATALOGUE_TABS

    def implementations_edited(self, item):
        return list(item.implementations.select_related("item", "region"))

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
                ],
                "classes": ["collapse"],
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
            {
                "fields": [("letter_triage_limit_days", "letter_answer_limit_days")],
                "classes": ["collapse"],
            },
        ),
        (
            _("Licensed party"),
            {"fields": ["subject_rule", "subject_name_field"], "classes": ["collapse"]},
        ),
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
