"""What makes a rebuild cheap and still right: fingerprints, input digests, the body-edit short cut, the build cache."""
