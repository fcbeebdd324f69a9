"""passkeys."""
