"""What filing announces to the stages to its right (approvals), without importing them."""

from django.dispatch import Signal

# Sent inside the submitting transaction; receivers schedule their work with on_commit.
application_submitted = Signal()  # kwargs: application
# Announcements only: the review's own part of a supplement (the tasks resume, their deadlines
# move) and of a withdrawal (the tasks close) is called by name (services/review.py).
supplement_provided = Signal()  # kwargs: application, actor
application_withdrawn = Signal()  # kwargs: application, actor
