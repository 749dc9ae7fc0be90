"""Publishing the built output to static hosting: a git branch, an S3 bucket, a server over rsync."""
