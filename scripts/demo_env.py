"""Write fresh keys for the local demo to the file named as the argument (var/demo.env, once,
by `make demo`), created with mode 0600 by os.open itself: the keys are never readable by
others, not even for a moment. An existing file is left alone."""

import os
import secrets
import sys

lines = [
    # The demo's mark: its shared password is accepted and `heli demo` may build its accounts.
    "HELI_DEMO=1",
    f"HELI_SECRET_KEY={secrets.token_urlsafe(50)}",
    f"HELI_FIELD_KEY={secrets.token_hex(16)}",
    f"HELI_DIGEST_KEY={secrets.token_hex(16)}",
    f"HELI_AUDIT_KEY={secrets.token_hex(32)}",
]
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
with os.fdopen(fd, "w") as file:
    file.write("\n".join(lines) + "\n")
