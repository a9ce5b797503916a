"""Building the student release of an assignment: the notebook and the handout files."""
