"""Reads of the projects app, each starting from what the user may see."""
