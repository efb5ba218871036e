"""Writes of the projects app: each module owns one kind of change."""
