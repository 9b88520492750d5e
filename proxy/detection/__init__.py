"""Personal-data detection in free text (Presidio, offline), for redaction and, later, discovery.

Presidio's e-mail check calls tldextract, which fetches the public-suffix list from the internet
unless told not to; nothing may leave the machine (regulation clause 3.3), so the list is pinned
to the snapshot inside the wheel before any Presidio module is imported. The proxy's own e-mail
recognizer does not call tldextract at all; this line guards every other path.
"""

import os

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
