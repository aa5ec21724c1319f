"""The applicant's status page and the staff dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import departments_of, is_civil_servant
from services.materials import attachment_response

from . import decisions
from .forms import DecisionForm
from .models import ReviewTask
from .queues import application_for_status_page, application_progress, queue_for, task_for_reviewer


@login_required
def application_status(request, pk: int):
    application = application_for_status_page(request.user, pk)
    return render(
        request,
        "approvals/application_status.html",
        {"application": application, "stages": application_progress(application)},
    )


def staff_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_civil_servant(request.user):
            raise PermissionDenied(_("This page is for civil servants."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


STATE_FILTERS = ["open", *ReviewTask.State.values]


@staff_required
def queue(request):
    state = request.GET.get("state", "open")
    if state not in STATE_FILTERS:
        state = "open"
    tasks = queue_for(request.user, state=state, item_code=request.GET.get("item", ""))
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "approvals/queue.html",
        {
            "page": page,
            "state": state,
            "states": [("open", _("Open"))] + list(ReviewTask.State.choices),
            "departments": departments_of(request.user),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def task_detail(request, task_id: int):
    task = task_for_reviewer(request.user, task_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decisions.decide(
                task.pk, request.user, form.cleaned_data["outcome"], form.cleaned_data["opinion"]
            )
        except decisions.AlreadyDecided as error:
            messages.error(request, " ".join(error.messages))
            return redirect("approvals:task", task.pk)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Your decision on %(number)s is recorded.")
                % {"number": task.application.tracking_number},
            )
            return redirect("approvals:queue")
    application = task.application
    return render(
        request,
        "approvals/task_detail.html",
        {
            "task": task,
            "application": application,
            "form": form,
            "answers": [
                (spec["label"], application.answers.get(spec["name"]))
                for spec in application.definition["fields"]
            ],
            "attachments": attachments_with_material_names(application),
            "stages": application_progress(application),
            "events": application.events.select_related("department"),
        },
    )


def attachments_with_material_names(application) -> list:
    names = {m["code"]: m["name"] for m in application.definition["materials"]}
    attachments = list(application.attachments.filter(is_current=True))
    for attachment in attachments:
        attachment.material_name = names.get(attachment.material_code, attachment.material_code)
    return attachments


@staff_required
def task_attachment(request, task_id: int, attachment_id: int):
    task = task_for_reviewer(request.user, task_id)
    attachment = get_object_or_404(task.application.attachments, pk=attachment_id)
    return attachment_response(attachment, inline=request.GET.get("inline") == "1")
