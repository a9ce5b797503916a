"""The one exception the data layer raises for data problems.

Everything that can go wrong while *obtaining* course data (a file is missing, a download failed, a checksum
does not match, the offline folder lacks the 60k MNIST training set) is reported as :class:`DataError`, with a
message that says what was expected, what was found and how to fix it. Programming mistakes (an unknown profile
name, impossible split sizes) stay ordinary ``ValueError``s.
"""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(RuntimeError):
    """Course data could not be obtained or failed verification.

    The message is meant for a human: it names the file, where it was looked for, and what to do next.
    """
