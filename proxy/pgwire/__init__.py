"""The PostgreSQL wire-protocol door (protocol 3.0): any PostgreSQL client, the same pipeline.

`server` listens and gives each connection a login (`login`: first packets, TLS, SCRAM against
the principal's verifier, the session's purpose) and a `session`, which opens its own upstream
connection (`upstream`, `dsn`) and relays both ways: `forward` plans every statement through the
pipeline and relays the rewritten text, `relay` matches the server's answers to what was asked
(`expect`), cuts hidden columns, masks and holds rows until audited (`results`), and the
session's statement and portal names are mirrored as the server confirms them (`names`). The
codecs (`messages`, `frontend`, `backend`, `startup`, `auth`, `cancel`) touch no socket, so every
exchange is tested byte for byte without a network.
"""
