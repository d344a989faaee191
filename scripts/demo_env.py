"""Print fresh keys for the local demo (written once to var/demo.env by `make demo`)."""

import secrets

# The demo's mark: its shared password is accepted and `heli demo` may build its accounts.
print("HELI_DEMO=1")

print(f"HELI_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"HELI_FIELD_KEY={secrets.token_hex(16)}")
print(f"HELI_DIGEST_KEY={secrets.token_hex(16)}")
print(f"HELI_AUDIT_KEY={secrets.token_hex(32)}")
