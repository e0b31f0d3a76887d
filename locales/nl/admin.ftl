## The admin page (/maintenance/admin), for superusers

admin-title = Onderhoudsschakelaar
admin-heading = Onderhoudsschakelaar
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Ingelogd als { $who }
admin-logout = Uitloggen
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Niemand kan op deze pagina inloggen: voor deze website is geen identiteitsprovider ingesteld.
admin-no-login-heading = Inloggen met uw identiteitsprovider
admin-no-login-oidc = Voeg uw OpenID Connect-provider toe aan de opdracht die downtime start (of stel de bijbehorende DOWNTIME_OIDC_*-variabelen in), en geef aan wie superuser is:
# $callback is a URL.
admin-no-login-redirect = Registreer bij de provider { $callback } als redirect-URI van deze client.
admin-no-login-cli-heading = Of zonder inloggen
admin-no-login-cli = Wie de database van downtime kan bereiken (dezelfde --database-url), kan onderhoud via de opdrachtregel in- en uitschakelen en bypasslinks uitdelen waarmee anderen langs de onderhoudspagina komen:
admin-now-heading = Op dit moment
admin-phase-off = Uit: bezoekers gebruiken de website zoals gewoonlijk.
admin-phase-active = Aan: bezoekers zien de onderhoudspagina.
# $start is a date and time in UTC.
admin-phase-scheduled = Gepland: bezoekers zien vanaf { $start } de onderhoudspagina.
admin-phase-ended = Het onderhoudsvenster is voorbij: bezoekers gebruiken de website zoals gewoonlijk.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Versie { $version }, gewijzigd door { $who } op { $at }
admin-switch-on = Onderhoud inschakelen
admin-switch-off = Onderhoud uitschakelen
admin-settings-heading = Instellingen van het onderhoudsvenster
admin-mode = Wat bezoekers mogen doen
admin-mode-full = Niets: de hele website is gesloten
admin-mode-read-only = Lezen, maar niets wijzigen
admin-mode-hold = Wachten: verzoeken worden vastgehouden tot het venster eindigt (voor kort werk)
admin-message = Bericht aan bezoekers (platte tekst)
admin-starts-at = Begint om (UTC; leeg: direct)
admin-ends-at = Eindigt om (UTC; leeg: bij uitschakelen)
admin-scope = Alleen deze paden sluiten, één per regel (leeg: de hele website)
admin-open-paths = Deze paden open houden, één per regel
admin-allowed-ips = Deze clientnetwerken doorlaten (CIDR), één per regel
admin-status-code = Statuscode van de antwoorden op geblokkeerde verzoeken
admin-retry-after = Aantal seconden dat clients moeten wachten, zolang er geen einde is ingesteld
admin-hold-timeout = Seconden dat elk vastgehouden verzoek wacht voordat het de pagina ziet
admin-reason = Reden (wordt bewaard in de geschiedenis)
admin-save = Instellingen opslaan
admin-bypass-heading = Bypasslinks
admin-bypass-intro = Met een geheime link komt iemand zonder account (een tester, een klant) langs de onderhoudspagina, totdat de link verloopt of wordt ingetrokken.
admin-bypass-ttl = Geldig gedurende
admin-bypass-label = Voor wie of waarvoor
admin-bypass-next = Pagina die wordt geopend (een pad zoals /checkout)
admin-bypass-create = Link aanmaken
admin-bypass-new = De nieuwe link, alleen deze ene keer getoond: ga er net zo zorgvuldig mee om als met een wachtwoord.
admin-bypass-none = Nog geen bypasslinks.
admin-bypass-revoke = Intrekken
admin-bypass-active = actief
admin-bypass-expired = verlopen
admin-bypass-revoked = ingetrokken
# $at is a date and time in UTC.
admin-bypass-until = tot { $at }
admin-history-heading = Geschiedenis
admin-history-none = Nog geen wijzigingen.
admin-history-when = Wanneer
admin-history-who = Wie
admin-history-what = Wat
admin-history-why = Waarom
admin-history-on = ingeschakeld
admin-history-off = uitgeschakeld
admin-notice-saved = Opgeslagen. Alle servers nemen de wijziging binnen enkele ogenblikken over.
admin-notice-revoked = De link is op alle servers ingetrokken.
# $version is the current version number.
admin-error-stale = Iemand anders heeft de status intussen gewijzigd (die staat nu op versie { $version }). Er is niets gewijzigd: controleer de status hieronder en probeer het dan opnieuw.
# $detail lists the refused values (in English).
admin-error-invalid = Er is niets gewijzigd: { $detail }
admin-error-expired-form = Dit formulier is verlopen. Er is niets gewijzigd: laad de pagina opnieuw en probeer het nog eens.
# $who is the logged-in person.
admin-error-not-superuser = { $who } is ingelogd, maar is geen superuser van deze website.
admin-error-unavailable = De database is op dit moment niet bereikbaar. Er is niets gewijzigd; probeer het zo meteen opnieuw.
