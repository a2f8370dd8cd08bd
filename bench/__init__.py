"""pytest-benchmark suites for the protocol core (outside testpaths: run ``pytest bench``)."""
