"""The demo season: simulated clock, the API driver (portal) and the season runner."""
