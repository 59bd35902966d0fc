"""Reading and writing the GST files the product exchanges: bytes (or rows) in, records out.

Each parser returns a `ParsedFile`; a file broken as a whole raises `FormatError`, a bad row
becomes a `RowProblem` and the rest of the file is kept.
"""
