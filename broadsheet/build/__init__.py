"""The build's stages, in the order pipeline.py calls them."""
