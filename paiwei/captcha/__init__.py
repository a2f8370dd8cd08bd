"""Image captchas: generated on the server, checked once, expiring."""
