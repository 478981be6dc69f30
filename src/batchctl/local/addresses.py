"""Where the local emulator listens and the paths of its own endpoints: shared by the server and its clients.

Standard library only: a command that merely finds the running emulator imports this, not the server.
"""

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 4586
PORT_ENV = "BATCHCTL_LOCAL_PORT"
IDENTITY_PATH = "/batchctl/emulator"
INTERRUPT_PATH = "/batchctl/interrupt"
SERVICE_NAME = "batchctl-local-emulator"
