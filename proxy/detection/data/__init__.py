"""Word lists for the person-name rules (`proxy.detection.name_lexicon` reads them)."""
