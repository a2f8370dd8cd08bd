"""Applicant intake: registration and detailed information (manual §一, §二)."""
