"""`broadsheet email`: an edition sent as a newsletter."""
