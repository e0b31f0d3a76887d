# The language's own name, shown in the language switcher.
language-name = Deutsch

## The maintenance page

page-title = Wartungsarbeiten
page-heading = Wir sind bald wieder da
page-intro = Diese Website ist wegen Wartungsarbeiten vorübergehend nicht erreichbar. Vielen Dank für Ihre Geduld.
page-intro-read-only = Diese Website befindet sich während der Wartung im Nur-Lese-Modus: Sie können sie weiterhin aufrufen, Änderungen sind jedoch vorerst ausgesetzt.
page-scope = Nur diese Bereiche der Website sind wegen Wartung geschlossen; alles andere funktioniert wie gewohnt:
page-message-label = Nachricht des Teams
# $end is a date and time, already formatted.
page-expected-end = Voraussichtlich wieder verfügbar: { $end }
page-countdown-label = Verbleibende Zeit
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Bitte versuchen Sie es später noch einmal. Voraussichtliche Wartezeit: { $duration }.
page-retry-link = Jetzt erneut versuchen
page-auto-reload = Diese Seite prüft regelmäßig den Status und leitet Sie automatisch zurück, sobald die Website wieder verfügbar ist.
page-back = Die Wartung ist abgeschlossen. Sie werden weitergeleitet…
page-language-label = Sprache

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } Minute
   *[other] { $count } Minuten
}
duration-hours = { $count ->
    [one] { $count } Stunde
   *[other] { $count } Stunden
}
duration-days = { $count ->
    [one] { $count } Tag
   *[other] { $count } Tage
}

## The JSON problem document sent to API clients

problem-title = Dienst wegen Wartungsarbeiten nicht verfügbar
problem-detail = Der Dienst ist wegen Wartungsarbeiten nicht verfügbar. Bitte versuchen Sie es später erneut.
problem-detail-read-only = Der Dienst befindet sich während der Wartung im Nur-Lese-Modus, Änderungen werden daher vorerst abgelehnt. Bitte versuchen Sie es später erneut.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Website nicht erreichbar
unreachable-heading = Die Website antwortet gerade nicht
unreachable-intro = Die Anwendung hinter dieser Adresse ist nicht erreichbar. Es handelt sich nicht um geplante Wartungsarbeiten; meist ist das Problem schnell behoben.
unreachable-retry-link = Erneut versuchen
unreachable-auto-reload = Diese Seite versucht es alle 30 Sekunden automatisch erneut.
unreachable-problem-title = Website nicht erreichbar
unreachable-problem-detail = Die Anwendung hinter diesem Server antwortet nicht. Bitte versuchen Sie es in Kürze erneut.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Wartungsarbeiten sind geplant von { $start } bis { $end }.
banner-from = Wartungsarbeiten sind geplant ab { $start }.
banner-dismiss = Schließen
