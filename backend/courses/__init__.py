"""Courses: providers, the catalogue, first-come selection with waitlists, and the lottery."""
