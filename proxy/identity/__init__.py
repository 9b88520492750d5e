"""Identity: who is asking (principals, their tokens, and the demo principals)."""
