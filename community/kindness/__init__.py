"""Kindness: thanks, pay-it-forward pledges and the ripples engine (ripples.py)."""
