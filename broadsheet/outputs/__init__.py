"""One module per generated format: feeds, sitemaps, search index, structured data, images, static files, the newsletter."""
