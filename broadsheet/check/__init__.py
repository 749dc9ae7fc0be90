"""`broadsheet check`: the built output read as a browser would, for links and assets that lead nowhere."""
