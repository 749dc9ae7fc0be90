"""`broadsheet init` and `broadsheet new`: the files a new site or article starts from."""
