"""One working-day calendar per web request (approvals/calendar.py, `one_calendar`)."""

from .calendar import one_calendar


class OneCalendarPerRequestMiddleware:
    """Every deadline of a page is counted on one calendar, checked against the database once:
    a queue of a hundred tasks shows a hundred colours and days left."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with one_calendar():
            return self.get_response(request)
