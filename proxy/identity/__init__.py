"""Identity: who is asking, and for which purpose."""
