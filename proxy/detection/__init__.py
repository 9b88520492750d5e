"""Personal-data detection in free text (Presidio, offline), for redaction and, later, discovery.

Presidio's e-mail check calls tldextract, which fetches the public-suffix list from the internet
unless told not to; nothing may leave the machine (regulation clause 3.3), so the list is pinned
to the snapshot inside the wheel before any Presidio module is imported. The proxy's own e-mail
recognizer does not call tldextract at all; this line guards every other path.

natasha's tagger multiplies small matrices with numpy; left to itself, numpy's BLAS starts a
thread per core for each, and with redactions running in worker threads beside the event loop
those threads fight over the cores: on a shared 2-core machine one thread per call measured 10x
faster (bench/README.md, detection). The limit applies when numpy is first imported, which this
package does before anything else loads it; an operator's own setting wins.
"""

import os

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
