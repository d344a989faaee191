"""Models of heli.campaigns."""
