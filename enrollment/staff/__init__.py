"""Staff accounts in the admin: session limits, login lockouts and the second factor.

Not a Django app: django-axes and django-otp own the tables; this package holds the policy (who needs
what, for how long) and the Persian pages around them.
"""
