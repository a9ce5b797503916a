"""The verbs of the ``autograder`` command: one module each, all with the same three names.

``HELP`` (the line ``autograder --help`` shows), ``add_arguments(parser)`` (the verb's options) and ``run(args)``
(do the job, return the exit code). A verb module imports only the standard library at its top, so that building
the parser stays light; what a verb needs is imported inside ``run``. :mod:`autograder.cli` builds the parser from
:data:`VERBS` and runs the verb chosen.
"""

VERBS = ("grade", "diff", "gradescope", "validate", "release", "calibrate", "bench", "starter", "notebook", "data")
"""The verbs in the order ``autograder --help`` lists them; each is a module of this package."""
