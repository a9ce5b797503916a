"""Hidden checks: how they are declared (:mod:`.spec`) and what they can do (:mod:`.context`)."""

from .context import CheckFailed, Context, Judge, ReferenceStore
from .spec import CheckSpec, check, checks_in, load_checks

__all__ = ["CheckFailed", "CheckSpec", "Context", "Judge", "ReferenceStore", "check", "checks_in", "load_checks"]
