"""Jinja2 templates for the offline runbook sheets."""
