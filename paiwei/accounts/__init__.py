"""Accounts: parents and staff, passwords, login throttling, web sessions."""
