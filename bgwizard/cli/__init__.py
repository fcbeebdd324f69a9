"""The command line: one parser tree (``main``), one ``Parser``, one module per command."""
