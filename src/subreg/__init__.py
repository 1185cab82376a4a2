"""subreg: compliance-as-code for a company's list of GDPR subprocessors."""

__version__ = "0.1.0"
