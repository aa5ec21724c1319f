"""The admin's pages to import and export the catalogue (docs/catalogue.md).

An import is shown first as a dry run: the uploaded file is checked and compared with the
database, and the administrator sees every entry that would be created or changed, and every
error. The file waits in private storage; the confirmation carries a signed token naming it
(and its digest, and who uploaded it), so what is committed is exactly what was shown.
"""

import hashlib
import json
import uuid

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .catalogue_export import CSV_TABLES, catalogue_table, export_catalogue
from .catalogue_import import ImportReport, Status, import_catalogue, max_bytes, status_label
from .models import ItemImplementation
from .regions import region_by_code

# The rows an import may create, change or delete; an export only reads them.
CATALOGUE_MODELS = (
    "accounts.region",
    "accounts.department",
    "services.theme",
    "services.serviceitem",
    "services.itemimplementation",
    "services.reviewstage",
    "services.stagedepartment",
    "services.material",
    "services.formfield",
)
IMPORT_PERMISSIONS = [
    f"{app}.{action}_{model}"
    for app, model in (name.split(".") for name in CATALOGUE_MODELS)
    for action in ("add", "change", "delete")
    if not (action == "delete" and model in {"region", "department", "theme"})
]
EXPORT_PERMISSIONS = [
    f"{app}.view_{model}" for app, model in (name.split(".") for name in CATALOGUE_MODELS)
]
UPLOADS = "catalogue-imports"
TOKEN_SALT = "services.catalogue-import"
TOKEN_MAX_AGE = 3600  # seconds between the dry run and the confirmation


class CatalogueUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Catalogue file (JSON)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A file of the catalogue exchange format, version 1, of at most %(limit)s MB "
            "(CATALOGUE_IMPORT_MAX_BYTES). Nothing is written before you confirm."
        ) % {"limit": f"{max_bytes() / 1024 / 1024:g}"}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                _("The file has %(size)s bytes; a catalogue file may have at most %(limit)s bytes.")
                % {"size": f"{upload.size:,}", "limit": f"{max_bytes():,}"}
            )
        return upload


def require(request: HttpRequest, permissions: list[str]) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied


def import_page(request: HttpRequest) -> HttpResponse:
    require(request, IMPORT_PERMISSIONS)
    if request.method == "POST" and "token" in request.POST:
        return confirm(request)
    form = CatalogueUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        report = import_catalogue(raw, commit=False)
        context |= report_context(report)
        if report.ok and report.changed():
            context["token"] = keep_for_confirmation(raw, request.user)
    return render(request, context)


def keep_for_confirmation(raw: bytes, user) -> str:
    name = default_storage.save(f"{UPLOADS}/{uuid.uuid4().hex}.json", ContentFile(raw))
    return signing.dumps(
        {"name": name, "sha256": hashlib.sha256(raw).hexdigest(), "user": user.pk},
        salt=TOKEN_SALT,
    )


def confirm(request: HttpRequest) -> HttpResponse:
    try:
        kept = signing.loads(request.POST["token"], salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("This confirmation has expired or is not valid: upload again."))
        return redirect("catalogue_import")
    name = kept["name"]
    if kept["user"] != request.user.pk or not default_storage.exists(name):
        messages.error(request, _("This confirmation has expired or is not valid: upload again."))
        return redirect("catalogue_import")
    with default_storage.open(name, "rb") as stored:
        raw = stored.read()
    if hashlib.sha256(raw).hexdigest() != kept["sha256"]:
        messages.error(request, _("This confirmation has expired or is not valid: upload again."))
        return redirect("catalogue_import")
    report = import_catalogue(raw, commit=True, actor=request.user)
    if not report.committed:
        # The database changed since the dry run in a way the file no longer fits.
        return render(request, {"form": CatalogueUploadForm()} | report_context(report))
    default_storage.delete(name)
    counts = report.counts()
    messages.success(
        request,
        _(
            "The catalogue was imported: %(created)d created, %(changed)d changed, "
            "%(unchanged)d unchanged."
        )
        % counts,
    )
    return redirect("admin:services_itemimplementation_changelist")


def report_context(report: ImportReport) -> dict:
    return {
        "report": report,
        "counts": report.counts(),
        "changed": [
            {
                "status": change.status,
                "label": status_label(change.status),
                "section": change.section,
                "code": change.code,
                "differences": change.differences,
            }
            for change in report.changed()
        ],
        "created_status": Status.CREATED,
    }


def render(request: HttpRequest, context: dict) -> HttpResponse:
    return TemplateResponse(
        request,
        "admin/services/catalogue_import.html",
        {
            **admin.site.each_context(request),
            "title": _("Import catalogue"),
            "max_bytes": max_bytes(),
            "export_url": reverse("catalogue_export"),
            "implementations_label": ItemImplementation._meta.verbose_name_plural,
            **context,
        },
    )


def export_file(request: HttpRequest) -> HttpResponse:
    require(request, EXPORT_PERMISSIONS)
    region = None
    if request.GET.get("region"):
        region = region_by_code(request.GET["region"])
        if region is None:
            return HttpResponse(_("No region has this code."), status=400)
    catalogue = export_catalogue(region)
    stamp = timezone.localdate().isoformat()
    scope = region.code if region else "all"
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "items")
        if table not in CSV_TABLES:
            return HttpResponse(_("No such table."), status=400)
        body = catalogue_table(catalogue, table).export("csv")
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        filename = f"catalogue-{scope}-{table}-{stamp}.csv"
    else:
        body = json.dumps(catalogue, ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = f"catalogue-{scope}-{stamp}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def urls() -> list:
    """Mounted under admin/catalogue/ (portal/urls.py), behind the admin's own login."""
    return [
        path("import/", admin.site.admin_view(import_page), name="catalogue_import"),
        path("export/", admin.site.admin_view(export_file), name="catalogue_export"),
    ]
