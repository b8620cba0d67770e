"""The command line: ``workledger …`` (also ``python -m workledger``)."""
