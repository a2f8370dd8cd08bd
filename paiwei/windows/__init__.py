"""Application windows: when each kind of choice may be submitted, per district and year."""
