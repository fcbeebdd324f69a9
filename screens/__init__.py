"""Textual screens of bgwizard (installed as bgwizard.screens)."""
