"""The beta-reading room: a manuscript shared with the invited readers of a request."""
