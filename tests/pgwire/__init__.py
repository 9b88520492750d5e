"""The wire door: framing, codecs, the startup packet and SCRAM, byte for byte."""
