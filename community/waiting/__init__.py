"""What's waiting for a member: what they owe someone, gathered on one page."""
