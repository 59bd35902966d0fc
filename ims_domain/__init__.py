"""The pure core of the IMS assistant: GSTINs, periods, records, action rules and GSTR-2B maths.

Nothing here does I/O or reads the clock; every rule that depends on "today" takes it as an
argument. Adapters (storage, bot, CLI) import from here, never the other way round.
"""
