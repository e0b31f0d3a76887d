# The language's own name, shown in the language switcher.
language-name = Polski

## The maintenance page

page-title = Przerwa techniczna
page-heading = Wkrótce wracamy
page-intro = Trwa przerwa techniczna, dlatego strona jest chwilowo niedostępna. Dziękujemy za cierpliwość.
page-intro-read-only = Podczas przerwy technicznej strona działa w trybie tylko do odczytu: możesz ją przeglądać, ale wprowadzanie zmian jest na razie wstrzymane.
page-scope = Z powodu prac technicznych niedostępne są tylko te części strony; reszta działa normalnie:
page-message-label = Wiadomość od zespołu
# $end is a date and time, already formatted.
page-expected-end = Przewidywany powrót: { $end }
page-countdown-label = Pozostały czas
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Spróbuj ponownie później. Przewidywany czas oczekiwania: { $duration }.
page-retry-link = Spróbuj ponownie teraz
page-auto-reload = Ta strona regularnie sprawdza stan serwisu i przeniesie Cię z powrotem, gdy tylko będzie on znów dostępny.
page-back = Przerwa techniczna dobiegła końca. Trwa przekierowanie…
page-language-label = Język

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } minuta
    [few] { $count } minuty
    [many] { $count } minut
   *[other] { $count } minuty
}
duration-hours = { $count ->
    [one] { $count } godzina
    [few] { $count } godziny
    [many] { $count } godzin
   *[other] { $count } godziny
}
duration-days = { $count ->
    [one] { $count } dzień
    [few] { $count } dni
    [many] { $count } dni
   *[other] { $count } dnia
}

## The JSON problem document sent to API clients

problem-title = Usługa niedostępna z powodu przerwy technicznej
problem-detail = Usługa jest niedostępna z powodu przerwy technicznej. Spróbuj ponownie później.
problem-detail-read-only = Podczas przerwy technicznej usługa działa w trybie tylko do odczytu, dlatego zmiany są na razie odrzucane. Spróbuj ponownie później.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Witryna niedostępna
unreachable-heading = Witryna w tej chwili nie odpowiada
unreachable-intro = Aplikacja pod tym adresem jest nieosiągalna. To nie są planowane prace konserwacyjne – zwykle problem zostaje szybko rozwiązany.
unreachable-retry-link = Spróbuj ponownie
unreachable-auto-reload = Ta strona automatycznie ponawia próbę co 30 sekund.
unreachable-problem-title = Witryna niedostępna
unreachable-problem-detail = Aplikacja za tym serwerem nie odpowiada. Spróbuj ponownie za chwilę.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Planowana przerwa techniczna: od { $start } do { $end }.
banner-from = Planowana przerwa techniczna od { $start }.
banner-dismiss = Zamknij
