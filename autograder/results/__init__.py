"""Grading results: records (authenticated), Gradescope's results.json, student feedback, the class gradebook."""

from .atomic import write_atomic
from .feedback import render_feedback, write_feedback
from .gradebook import render_gradebook, write_gradebook
from .gradescope import to_gradescope, write_results_json
from .integrity import RecordKeyError, load_record_key, sign_record, verify_record
from .outcome import Cause, Status, SubmissionStatus
from .records import CheckResult, RenderedFigure, SubmissionResult

__all__ = ["Cause", "CheckResult", "RecordKeyError", "RenderedFigure", "Status", "SubmissionResult",
           "SubmissionStatus", "load_record_key", "render_feedback", "render_gradebook", "sign_record",
           "to_gradescope", "verify_record", "write_atomic", "write_feedback", "write_gradebook", "write_results_json"]
