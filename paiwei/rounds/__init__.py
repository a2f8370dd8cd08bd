"""Round lifecycle on the database: plan import, create → freeze → ceremony → run → publish."""
