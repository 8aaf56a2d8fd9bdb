"""The public pages: home and help, sign-in, the wizard, «درخواست‌های من»."""
