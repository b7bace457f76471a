"""moto's server, one request at a time.

DynamoDB runs each transaction in isolation; moto's threaded server does not (two concurrent
TransactWriteItems can interleave their condition checks and writes). Serving one request at
a time restores the isolation the real service gives, so concurrency tests mean the same on
the emulator as on DynamoDB. moto closes every connection after its response, so one thread
does not stall on a kept-alive client.
"""

import os
import sys

from werkzeug.serving import run_simple

from moto.moto_server.threaded_moto_server import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False, request_handler=MotoRequestHandler)
