"""`broadsheet theme`: the built-in theme listed, and its files copied into a site for editing."""
