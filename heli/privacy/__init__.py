"""Personal-information requests (PIPL): a member's full record for them, and anonymization of
members past the retention period. Not an app: it reads the records of the apps that hold
something about a person (members, mobility, letters, transfers, campaigns, audit)."""
