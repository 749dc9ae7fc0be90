"""`broadsheet serve`: the dev server, the file watcher and the live session between them."""
