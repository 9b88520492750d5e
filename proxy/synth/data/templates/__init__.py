"""Free-text templates: complaints, applications, call notes (package data)."""
