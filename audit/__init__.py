"""The audit log: one row per recorded change of anything a person may ask "who did this, when, why".

Requests and their moves, payroll flags, deduction documents, contract periods, terms, rates,
announcements and staff roles and offices all write here, in the transaction of the change. The rows are
written already in words (labels and display values, never field names or codes), with the offices the
change belongs to, so that the auditors' page reads one table with indexed filters and keyset pages on
tens of millions of rows, and never joins the history tables of every model.

It sits above core and below policies: it knows no model of ours. What it must know of an object (its
offices, national code, tracking code) the object tells through `audit_facts()`.
"""
