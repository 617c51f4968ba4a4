"""The demo's content: who the members are and what they write.

Plain data (names, texts, request templates, the stories kindness follows),
no database and no randomness of its own: the play (``community.demo``'s
other modules) draws from these tables with a seeded generator, so that
editing a text changes what the demo says, never how it is built.
"""
