"""Training helpers used by the recipes in ``scripts/`` (not needed at run time)."""
