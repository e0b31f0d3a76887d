# The language's own name, shown in the language switcher.
language-name = Italiano

## The maintenance page

page-title = Sito in manutenzione
page-heading = Torneremo presto
page-intro = Questo sito è temporaneamente non disponibile per manutenzione. Grazie per la pazienza.
page-intro-read-only = Durante la manutenzione questo sito è in modalità di sola lettura: puoi navigare, ma per ora le modifiche sono sospese.
page-scope = Solo queste parti del sito sono chiuse per manutenzione; il resto funziona normalmente:
page-message-label = Un messaggio dal team
# $end is a date and time, already formatted.
page-expected-end = Ritorno previsto: { $end }
page-countdown-label = Tempo rimanente
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Riprova tra { $duration }.
page-retry-link = Riprova ora
page-auto-reload = Questa pagina controlla regolarmente lo stato e ti riporterà al sito non appena sarà di nuovo disponibile.
page-back = La manutenzione è terminata. Ritorno al sito in corso…
page-language-label = Lingua

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } minuto
   *[other] { $count } minuti
}
duration-hours = { $count ->
    [one] { $count } ora
   *[other] { $count } ore
}
duration-days = { $count ->
    [one] { $count } giorno
   *[other] { $count } giorni
}

## The JSON problem document sent to API clients

problem-title = Servizio non disponibile per manutenzione
problem-detail = Il servizio non è disponibile per manutenzione. Riprova più tardi.
problem-detail-read-only = Durante la manutenzione il servizio è in sola lettura, quindi per ora le modifiche vengono rifiutate. Riprova più tardi.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Sito non raggiungibile
unreachable-heading = Il sito non risponde in questo momento
unreachable-intro = L’applicazione dietro questo indirizzo non è raggiungibile. Non si tratta di una manutenzione programmata e di solito il problema si risolve rapidamente.
unreachable-retry-link = Riprova
unreachable-auto-reload = Questa pagina riprova automaticamente ogni 30 secondi.
unreachable-problem-title = Sito non raggiungibile
unreachable-problem-detail = L’applicazione dietro questo server non risponde. Riprova tra poco.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = È prevista una manutenzione dal { $start } al { $end }.
banner-from = È prevista una manutenzione a partire dal { $start }.
banner-dismiss = Chiudi
