"""moto server for DynamoDB and SQS on loopback, serving one request at a time.

The threaded `moto_server` can lose updates when transactions race; real DynamoDB never does.
One request at a time keeps every conditional write and transaction atomic, as in AWS.

usage: python tools/moto_server.py PORT [PARENT_PID]
With PARENT_PID the server exits once that process is gone, so a test run never leaves it behind.
"""

import os
import sys
import threading
import time

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def exit_with(parent: int) -> None:
    while True:
        try:
            os.kill(parent, 0)
        except OSError:
            os._exit(0)
        time.sleep(1)


def main() -> None:
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        threading.Thread(target=exit_with, args=(int(sys.argv[2]),), daemon=True).start()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, app, threaded=False, use_reloader=False)


if __name__ == "__main__":
    main()
