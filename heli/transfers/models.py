"""Models of heli.transfers."""
