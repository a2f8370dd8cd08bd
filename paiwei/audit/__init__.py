"""The append-only, hash-chained audit log of every review transition."""
