"""Choices: private and boarding applications, zone preferences, junior-high groups."""
