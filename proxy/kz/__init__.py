"""Kazakhstan's identifier rules (IIN, BIN, KZ IBAN), shared by detection and the generator."""
