"""What filing asks, by name, of the review that follows it (approvals).

Approvals sits above services (tests/test_layers.py), so filing cannot import it. Yet two of
the applicant's acts have legal effects there: a supplement resumes the waiting review tasks
and moves their deadlines by the working days their clocks stood still (Administrative
License Law Art. 45), and a withdrawal closes the case's open tasks and their clock stops.
Filing calls both explicitly, inside its own transaction, through this interface rather than
leaving them to whoever listens to a signal; approvals installs its implementation when it
starts (approvals/apps.py). Without one, filing refuses instead of silently doing half.
"""

from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from .models import Application


class Review(Protocol):
    def resume_after_supplement(self, application: Application, *, actor) -> object:
        """Continue the tasks waiting for this supplement, their deadlines moved."""

    def close_open_tasks(self, application: Application, *, actor) -> object:
        """Close the case's undecided tasks, their clock stops with them."""


_installed: Review | None = None


def install(review: Review) -> None:
    global _installed
    _installed = review


def review() -> Review:
    if _installed is None:
        raise ImproperlyConfigured("No review is installed: add approvals to INSTALLED_APPS.")
    return _installed
