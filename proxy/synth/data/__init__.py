"""Word lists and templates the generator reads (a package only so they ship as package data)."""
