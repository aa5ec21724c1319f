"""What every page's header needs to know about the person."""

from .counter import is_service_centre_staff
from .elderly_mode import elderly_mode_on
from .notifications import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: the template asks once, and pages that do not show the header never query.
    return {
        "unread_notifications": lambda: unread_count(user),
        "is_counter_staff": lambda: is_service_centre_staff(user),
    }


def elderly_mode(request) -> dict:
    """Whether the page is drawn in the elderly-friendly mode (accounts/elderly_mode.py)."""
    return {"elderly_mode": elderly_mode_on(request)}
