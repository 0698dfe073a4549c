"""Importers for the FDA's public exports (DECRS and the Data Dashboard).

`tables` streams rows out of CSV and XLSX files, `formats` recognises an export by its header
and turns rows into typed `records`, `engine` applies them chunk by chunk: the applier of each
format (`registrations`, `events`, `citations`, sharing `context`) plans a chunk, and a commit
writes the plan. Services call the engine.
"""
