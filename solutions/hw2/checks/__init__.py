"""Hidden checks for HW2. Instructor content: shipped in the grading bundle, never to students."""
