@_exported import PGFast
