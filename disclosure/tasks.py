"""What the disclosure section does by itself. Each task is safe to run twice."""

from celery import shared_task

from .consultations import sweep_consultations


@shared_task
def sweep_feedback_reports() -> dict:
    """Every minute (beat): tell departments their consultation closed; escalate late reports.

    Its own beat entry beside approvals' sweep_deadlines, on the same pattern (partial index,
    batches, each consultation once): approvals may not import disclosure (docs/participation.md).
    """
    result = sweep_consultations()
    return {"closed": len(result.closed), "escalated": len(result.escalated)}
