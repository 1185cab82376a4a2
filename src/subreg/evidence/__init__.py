"""Evidence of what customers were told and what they answered (SPEC 9): the notice
ledger (`ledger.py`), its sending over SMTP (`send.py`, `recipients.py`, `journal.py`)
and customers' objections (`objections.py`)."""
