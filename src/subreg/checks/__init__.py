"""The built-in policy checks, as pytest modules (one rule per test function)."""
