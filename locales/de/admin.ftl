## The admin page (/maintenance/admin), for superusers

admin-title = Wartungsschalter
admin-heading = Wartungsschalter
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Angemeldet als { $who }
admin-logout = Abmelden
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Niemand kann sich auf dieser Seite anmelden: Für diese Website ist kein Identitätsanbieter eingerichtet.
admin-no-login-heading = Mit Ihrem Identitätsanbieter anmelden
admin-no-login-oidc = Ergänzen Sie den Befehl, der downtime startet, um Ihren OpenID-Connect-Anbieter (oder setzen Sie die passenden DOWNTIME_OIDC_*-Variablen) und legen Sie fest, wer Superuser ist:
# $callback is a URL.
admin-no-login-redirect = Registrieren Sie beim Anbieter { $callback } als Weiterleitungs-URI dieses Clients.
admin-no-login-cli-heading = Oder ohne Anmeldung
admin-no-login-cli = Wer die Datenbank von downtime erreicht (dieselbe --database-url), kann die Wartung über die Kommandozeile schalten und Umgehungslinks ausgeben, mit denen andere an der Wartungsseite vorbeikommen:
admin-now-heading = Aktueller Stand
admin-phase-off = Aus: Besucher nutzen die Website wie gewohnt.
admin-phase-active = An: Besucher sehen die Wartungsseite.
# $start is a date and time in UTC.
admin-phase-scheduled = Geplant: Besucher sehen ab { $start } die Wartungsseite.
admin-phase-ended = Das Wartungsfenster ist vorbei: Besucher nutzen die Website wie gewohnt.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Version { $version }, geändert von { $who } am { $at }
admin-switch-on = Wartung einschalten
admin-switch-off = Wartung ausschalten
admin-settings-heading = Einstellungen des Wartungsfensters
admin-mode = Was Besucher tun dürfen
admin-mode-full = Nichts: Die gesamte Website ist geschlossen
admin-mode-read-only = Lesen, aber nichts ändern
admin-mode-hold = Warten: Anfragen werden bis zum Ende des Fensters gehalten (für kurze Arbeiten)
admin-message = Nachricht an die Besucher (reiner Text)
admin-starts-at = Beginn (UTC; leer: sofort)
admin-ends-at = Ende (UTC; leer: bis zum Ausschalten)
admin-scope = Nur diese Pfade schließen, einer pro Zeile (leer: die gesamte Website)
admin-open-paths = Diese Pfade offen lassen, einer pro Zeile
admin-allowed-ips = Diese Client-Netzwerke durchlassen (CIDR), eines pro Zeile
admin-status-code = Statuscode der Antworten auf gesperrte Anfragen
admin-retry-after = Wartezeit in Sekunden, die Clients genannt wird, solange kein Ende festgelegt ist
admin-hold-timeout = Sekunden, die jede Anfrage beim Halten wartet, bevor sie die Seite sieht
admin-reason = Grund (wird im Verlauf gespeichert)
admin-save = Einstellungen speichern
admin-bypass-heading = Umgehungslinks
admin-bypass-intro = Mit einem geheimen Link gelangt jemand ohne Konto (etwa ein Tester oder ein Kunde) an der Wartungsseite vorbei, bis der Link abläuft oder widerrufen wird.
admin-bypass-ttl = Gültig für
admin-bypass-label = Für wen oder wofür
admin-bypass-next = Zielseite (ein Pfad wie /checkout)
admin-bypass-create = Link erstellen
admin-bypass-new = Der neue Link wird nur dieses eine Mal angezeigt: Behandeln Sie ihn wie ein Passwort.
admin-bypass-none = Noch keine Umgehungslinks.
admin-bypass-revoke = Widerrufen
admin-bypass-active = aktiv
admin-bypass-expired = abgelaufen
admin-bypass-revoked = widerrufen
# $at is a date and time in UTC.
admin-bypass-until = bis { $at }
admin-history-heading = Verlauf
admin-history-none = Noch keine Änderungen.
admin-history-when = Wann
admin-history-who = Wer
admin-history-what = Was
admin-history-why = Warum
admin-history-on = eingeschaltet
admin-history-off = ausgeschaltet
admin-notice-saved = Gespeichert. Alle Server übernehmen die Änderung in wenigen Augenblicken.
admin-notice-revoked = Der Link ist auf allen Servern widerrufen.
# $version is the current version number.
admin-error-stale = Jemand anderes hat den Zustand inzwischen geändert (jetzt Version { $version }). Es wurde nichts geändert: Prüfen Sie den Zustand unten und versuchen Sie es dann erneut.
# $detail lists the refused values (in English).
admin-error-invalid = Es wurde nichts geändert: { $detail }
admin-error-expired-form = Dieses Formular ist abgelaufen. Es wurde nichts geändert: Laden Sie die Seite neu und versuchen Sie es erneut.
# $who is the logged-in person.
admin-error-not-superuser = { $who } ist angemeldet, aber kein Superuser dieser Website.
admin-error-unavailable = Die Datenbank ist gerade nicht erreichbar. Es wurde nichts geändert; versuchen Sie es in Kürze erneut.
