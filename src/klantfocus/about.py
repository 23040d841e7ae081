"""Package metadata, kept in one place."""

__version__ = "0.1.0"
__title__ = "klantfocus"
