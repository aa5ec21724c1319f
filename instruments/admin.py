"""Administrators edit the instruments' wording (checked at save, previewed on a sample case),
the departments' issuing offices, and see, download or revoke what was issued."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Department
from accounts.reauth import require_recent_authentication
from approvals.admin import same_page
from approvals.forms import RevocationForm, add_validation_error

from .content import CHINESE, ENGLISH, sample_placeholders
from .generation import REVOKE_PERMISSION, document_data, revoke_instrument
from .models import Instrument, InstrumentTemplate, IssuingOffice
from .rendering import render_instrument
from .wording import DEFAULT_WORDING, placeholder_names, render_text


class InstrumentTemplateForm(forms.ModelForm):
    class Meta:
        model = InstrumentTemplate
        fields = ["kind", "item", "body", "body_en"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 18, "cols": 100}),
            "body_en": forms.Textarea(attrs={"rows": 14, "cols": 100}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _("Placeholders: %(names)s") % {
            "names": ", ".join(f"{{{{ {name} }}}}" for name in placeholder_names())
        }

    # InstrumentTemplate.clean() refuses an unknown placeholder, naming its line.


@admin.register(InstrumentTemplate)
class InstrumentTemplateAdmin(admin.ModelAdmin):
    form = InstrumentTemplateForm
    list_display = ["__str__", "kind", "item", "updated_at", "updated_by", "preview_link"]
    list_filter = ["kind"]
    autocomplete_fields = ["item"]
    readonly_fields = ["updated_at", "updated_by"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind")
        if kind in DEFAULT_WORDING:
            initial.setdefault("body", DEFAULT_WORDING[kind][0])
            initial.setdefault("body_en", DEFAULT_WORDING[kind][1])
        return initial

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("preview"))
    def preview_link(self, template: InstrumentTemplate) -> str:
        url = reverse("admin:instruments_instrumenttemplate_preview", args=[template.pk])
        return format_html('<a href="{}">{}</a>', url, _("PDF on a sample case"))

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path(
                "<path:object_id>/preview/", preview, name="instruments_instrumenttemplate_preview"
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """The template rendered on a made-up case, in both languages, unsigned and unnumbered."""
        template = self.get_object(request, unquote(object_id))
        if template is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        import uuid
        from datetime import date

        department = Department(
            code="sample", name="合肥市市场监督管理局（样本）", name_en="Sample"
        )
        chinese = render_text(template.body, sample_placeholders(template.kind, CHINESE))
        english = (
            render_text(template.body_en, sample_placeholders(template.kind, ENGLISH))
            if template.body_en.strip()
            else None
        )
        data = document_data(
            kind=template.kind,
            department=department,
            number="样本〔0000〕第000000号",
            dated=date.today(),
            token=uuid.UUID(int=0),
            chinese=chinese,
            english=english,
        )
        response = HttpResponse(render_instrument(data).pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="preview.pdf"'
        return response


@admin.register(IssuingOffice)
class IssuingOfficeAdmin(admin.ModelAdmin):
    list_display = ["department", "number_prefix", "reconsideration_body", "court"]
    search_fields = ["department__name", "number_prefix"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    """Read-only: instruments are issued by the task and sealed; the only change is revocation."""

    list_display = ["number", "kind", "application", "department", "dated", "size", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["number", "application__tracking_number"]
    list_select_related = ["application", "department"]
    date_hierarchy = "issued_at"
    exclude = ["pdf"]
    readonly_fields = ["download", "revoke_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("PDF"))
    def download(self, instrument: Instrument) -> str:
        url = reverse("admin:instruments_instrument_pdf", args=[instrument.pk])
        return format_html('<a href="{}">{}</a>', url, instrument.filename)

    @admin.display(description=gettext_lazy("revocation"))
    def revoke_link(self, instrument: Instrument) -> str:
        if instrument.revoked_at:
            return instrument.revoked_reason
        url = reverse("admin:instruments_instrument_revoke", args=[instrument.pk])
        return format_html('<a href="{}">{}</a>', url, _("Revoke this instrument"))

    def get_urls(self):
        pdf = self.admin_site.admin_view(self.pdf_view)
        revoke_view = self.admin_site.admin_view(
            require_recent_authentication(self.revoke_view, return_to=same_page)
        )
        return [
            path("<path:object_id>/pdf/", pdf, name="instruments_instrument_pdf"),
            path("<path:object_id>/revoke/", revoke_view, name="instruments_instrument_revoke"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, object_id):
        instrument = self.get_object(request, unquote(object_id))
        if instrument is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        from .views import pdf_response

        return pdf_response(request, Instrument.objects.get(pk=instrument.pk))

    def revoke_view(self, request, object_id):
        instrument = self.get_object(request, unquote(object_id))
        if instrument is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not request.user.has_perm(REVOKE_PERMISSION):
            raise PermissionDenied
        change_url = reverse("admin:instruments_instrument_change", args=[instrument.pk])
        form = RevocationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                revoke_instrument(instrument, request.user, form.cleaned_data["reason"])
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                self.message_user(
                    request,
                    _("Instrument %(number)s is revoked.") % {"number": instrument.number},
                    messages.SUCCESS,
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke instrument %(number)s") % {"number": instrument.number},
            "opts": self.opts,
            "original": instrument,
            "instrument": instrument,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/instruments/instrument/revoke.html", context)
