"""`broadsheet import`: pasted article text, saved pages and news feeds -> draft articles.

sources (read or fetch each input) -> text / page / feed (one Draft per article, boilerplate
stripped) -> write (front matter + Markdown file, skipping what was imported before).
"""
