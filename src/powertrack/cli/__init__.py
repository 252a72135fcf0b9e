"""The ``powertrack`` command line."""
