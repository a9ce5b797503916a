"""Grading results: records, Gradescope's results.json, student feedback, the class gradebook."""

from .atomic import write_atomic
from .feedback import render_feedback, write_feedback
from .gradebook import render_gradebook, write_gradebook
from .gradescope import to_gradescope, write_results_json
from .records import STATUSES, CheckResult, SubmissionResult

__all__ = ["STATUSES", "CheckResult", "SubmissionResult", "render_feedback", "render_gradebook", "to_gradescope",
           "write_atomic", "write_feedback", "write_gradebook", "write_results_json"]
