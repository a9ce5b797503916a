"""Autograder for an applied machine-learning course."""
__version__ = "0.1.0"
