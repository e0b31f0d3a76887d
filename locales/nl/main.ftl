# The language's own name, shown in the language switcher.
language-name = Nederlands

## The maintenance page

page-title = Website in onderhoud
page-heading = We zijn zo weer terug
page-intro = Deze website is tijdelijk niet beschikbaar vanwege onderhoud. Bedankt voor je geduld.
page-intro-read-only = Deze website is tijdens het onderhoud alleen-lezen: je kunt rondkijken, maar wijzigingen zijn voorlopig gepauzeerd.
page-scope = Alleen deze delen van de website zijn gesloten voor onderhoud; de rest werkt gewoon:
page-message-label = Een bericht van het team
# $end is a date and time, already formatted.
page-expected-end = Naar verwachting weer beschikbaar: { $end }
page-countdown-label = Resterende tijd
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Probeer het over { $duration } opnieuw.
page-retry-link = Nu opnieuw proberen
page-auto-reload = Deze pagina controleert regelmatig de status en brengt je terug zodra de website weer beschikbaar is.
page-back = Het onderhoud is voltooid. Je wordt teruggestuurd…
page-language-label = Taal

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } minuut
   *[other] { $count } minuten
}
duration-hours = { $count ->
    [one] { $count } uur
   *[other] { $count } uur
}
duration-days = { $count ->
    [one] { $count } dag
   *[other] { $count } dagen
}

## The JSON problem document sent to API clients

problem-title = Dienst niet beschikbaar vanwege onderhoud
problem-detail = De dienst is niet beschikbaar vanwege onderhoud. Probeer het later opnieuw.
problem-detail-read-only = De dienst is tijdens het onderhoud alleen-lezen, dus wijzigingen worden voorlopig geweigerd. Probeer het later opnieuw.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Site onbereikbaar
unreachable-heading = De site reageert op dit moment niet
unreachable-intro = De applicatie achter dit adres is niet bereikbaar. Dit is geen gepland onderhoud en het is meestal snel opgelost.
unreachable-retry-link = Opnieuw proberen
unreachable-auto-reload = Deze pagina probeert het elke 30 seconden automatisch opnieuw.
unreachable-problem-title = Site onbereikbaar
unreachable-problem-detail = De applicatie achter deze server reageert niet. Probeer het zo meteen opnieuw.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Er is onderhoud gepland van { $start } tot { $end }.
banner-from = Er is onderhoud gepland vanaf { $start }.
banner-dismiss = Sluiten
