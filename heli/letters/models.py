"""Models of heli.letters."""
