"""``python -m autograder``: the same command line as the ``autograder`` script."""

from .cli import main

raise SystemExit(main())
