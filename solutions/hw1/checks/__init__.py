"""Hidden checks for HW1. Instructor content: shipped in the grading bundle, never to students."""
