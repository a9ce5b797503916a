"""The grading engine: find submissions, run the hidden checks against each in a worker, record results."""
