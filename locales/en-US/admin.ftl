## The admin page (/maintenance/admin), for superusers

admin-title = Maintenance switch
admin-heading = Maintenance switch
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Logged in as { $who }
admin-logout = Log out
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Nobody can log in to this page: no identity provider is configured on this site.
admin-no-login-heading = Log in with your identity provider
admin-no-login-oidc = Add your OpenID Connect provider to the command that starts downtime (or set the matching DOWNTIME_OIDC_* variables), and name who is a superuser:
# $callback is a URL.
admin-no-login-redirect = At the provider, register { $callback } as this client’s redirect URI.
admin-no-login-cli-heading = Or do without a login
admin-no-login-cli = Anyone who can reach downtime’s database (the same --database-url) can switch maintenance from the command line, and hand out bypass links that let people past the maintenance page:
admin-now-heading = Right now
admin-phase-off = Off: visitors use the site as usual.
admin-phase-active = On: visitors see the maintenance page.
# $start is a date and time in UTC.
admin-phase-scheduled = Scheduled: visitors will see the maintenance page from { $start }.
admin-phase-ended = The window is over: visitors use the site as usual.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Version { $version }, changed by { $who } at { $at }
admin-switch-on = Switch maintenance on
admin-switch-off = Switch maintenance off
admin-settings-heading = Settings of the window
admin-mode = What visitors may do
admin-mode-full = Nothing: the whole site is closed
admin-mode-read-only = Read, but not change anything
admin-mode-hold = Wait: requests are held until the window ends (for short work)
admin-message = Message to visitors (plain text)
admin-starts-at = Starts at (UTC; empty: at once)
admin-ends-at = Ends at (UTC; empty: when switched off)
admin-scope = Close only these paths, one per line (empty: the whole site)
admin-open-paths = Keep these paths open, one per line
admin-allowed-ips = Let these client networks through (CIDR), one per line
admin-status-code = Status code of the answers to gated requests
admin-retry-after = Seconds clients are told to wait, while no end is set
admin-hold-timeout = Seconds each request waits in a hold before it sees the page
admin-reason = Why (kept in the history)
admin-save = Save the settings
admin-bypass-heading = Bypass links
admin-bypass-intro = A secret link lets someone without an account (a tester, a client) past the maintenance page until it expires or is revoked.
admin-bypass-ttl = Valid for
admin-bypass-label = Who or what it is for
admin-bypass-next = Page it opens (a path such as /checkout)
admin-bypass-create = Create a link
admin-bypass-new = The new link, shown only this once: share it like a password.
admin-bypass-none = No bypass links yet.
admin-bypass-revoke = Revoke
admin-bypass-active = active
admin-bypass-expired = expired
admin-bypass-revoked = revoked
# $at is a date and time in UTC.
admin-bypass-until = until { $at }
admin-history-heading = History
admin-history-none = No changes yet.
admin-history-when = When
admin-history-who = Who
admin-history-what = What
admin-history-why = Why
admin-history-on = switched on
admin-history-off = switched off
admin-notice-saved = Saved. Every server follows the change within a moment.
admin-notice-revoked = The link is revoked on every server.
# $version is the current version number.
admin-error-stale = Someone else changed the state meanwhile (it is now at version { $version }). Nothing was changed: check the state below, then try again.
# $detail lists the refused values (in English).
admin-error-invalid = Nothing was changed: { $detail }
admin-error-expired-form = This form has expired. Nothing was changed: reload the page and try again.
# $who is the logged-in person.
admin-error-not-superuser = { $who } is logged in, but is not a superuser of this site.
admin-error-unavailable = The database cannot be reached right now. Nothing was changed; try again shortly.
