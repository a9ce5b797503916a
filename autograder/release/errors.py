"""The one error a release build raises: something would ship that must not, or something is missing."""

from __future__ import annotations


class ReleaseError(RuntimeError):
    """The release cannot be built; the message says what is wrong and where (one problem per line)."""
