"""moto's server for the tests, with DynamoDB requests serialised.

DynamoDB isolates concurrent transactions: of two conflicting TransactWriteItems one fails
(TransactionCanceledException), it never applies both. moto's in-memory backend checks and
writes item by item without a lock, so parallel requests can interleave. Serialising the
DynamoDB requests gives the tests DynamoDB's isolation; SQS and SES stay fully threaded.
`/moto-api/data.json` (how the tests read back sent emails) takes the same lock, since it
reads the DynamoDB tables too.


Usage: python scripts/moto_server.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_dynamodb = threading.Lock()


def serialise_dynamodb(app):
    def wrapped(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        # data.json walks every backend, DynamoDB's tables included: it must not run while a
        # DynamoDB request changes them.
        dump = environ.get("PATH_INFO", "").startswith("/moto-api/data.json")
        if not (target.startswith("DynamoDB_") or dump):
            return app(environ, start_response)
        with _dynamodb:
            # Consume the response inside the lock: the backend works while it is produced.
            return list(app(environ, start_response))

    return wrapped


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, serialise_dynamodb(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
