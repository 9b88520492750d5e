"""The PostgreSQL wire-protocol door (protocol 3.0), as sans-I/O codecs and state machines.

It sits between a client socket and the upstream socket: the listener feeds it bytes, it returns
framed messages and the bytes to answer with, and the session loop decides what to relay. The
first packet (SSL, cancel, startup) is classified in `startup`, typed messages are framed in
`messages` and decoded or encoded in `frontend` (what clients send) and `backend` (what servers
send), and `auth` runs SCRAM against clients and logs the proxy in upstream. Nothing here touches
a socket, so every exchange is tested byte for byte without a network.
"""
