"""tenant."""
