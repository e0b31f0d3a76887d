## The admin page (/maintenance/admin), for superusers

admin-title = Przełącznik przerwy technicznej
admin-heading = Przełącznik przerwy technicznej
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Zalogowano jako { $who }
admin-logout = Wyloguj się
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Nikt nie może zalogować się na tej stronie: w tej witrynie nie skonfigurowano dostawcy tożsamości.
admin-no-login-heading = Logowanie przez dostawcę tożsamości
admin-no-login-oidc = Dodaj swojego dostawcę OpenID Connect do polecenia, które uruchamia downtime (lub ustaw odpowiednie zmienne DOWNTIME_OIDC_*), i wskaż, kto jest superużytkownikiem:
# $callback is a URL.
admin-no-login-redirect = U dostawcy zarejestruj { $callback } jako URI przekierowania tego klienta.
admin-no-login-cli-heading = Albo bez logowania
admin-no-login-cli = Każdy, kto ma dostęp do bazy danych downtime (ten sam --database-url), może włączać i wyłączać przerwę techniczną z wiersza poleceń oraz wydawać linki dostępu, które pozwalają ominąć stronę przerwy technicznej:
admin-now-heading = Stan obecny
admin-phase-off = Wyłączona: odwiedzający korzystają ze strony normalnie.
admin-phase-active = Włączona: odwiedzający widzą stronę przerwy technicznej.
# $start is a date and time in UTC.
admin-phase-scheduled = Zaplanowana: od { $start } odwiedzający będą widzieć stronę przerwy technicznej.
admin-phase-ended = Okno przerwy technicznej dobiegło końca: odwiedzający korzystają ze strony normalnie.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Wersja { $version }, zmieniona przez { $who } ({ $at })
admin-switch-on = Włącz przerwę techniczną
admin-switch-off = Wyłącz przerwę techniczną
admin-settings-heading = Ustawienia okna przerwy technicznej
admin-mode = Co mogą robić odwiedzający
admin-mode-full = Nic: cała strona jest zamknięta
admin-mode-read-only = Czytać, ale niczego nie zmieniać
admin-mode-hold = Czekać: żądania są wstrzymywane do końca okna (dla krótkich prac)
admin-message = Wiadomość dla odwiedzających (zwykły tekst)
admin-starts-at = Początek (UTC; puste: od razu)
admin-ends-at = Koniec (UTC; puste: do wyłączenia)
admin-scope = Zamknij tylko te ścieżki, po jednej w wierszu (puste: cała strona)
admin-open-paths = Pozostaw otwarte te ścieżki, po jednej w wierszu
admin-allowed-ips = Przepuszczaj te sieci klientów (CIDR), po jednej w wierszu
admin-status-code = Kod statusu odpowiedzi na zablokowane żądania
admin-retry-after = Liczba sekund oczekiwania podawana klientom, dopóki nie ustawiono końca
admin-hold-timeout = Liczba sekund, przez które każde wstrzymane żądanie czeka, zanim zobaczy stronę
admin-reason = Powód (zapisywany w historii)
admin-save = Zapisz ustawienia
admin-bypass-heading = Linki dostępu
admin-bypass-intro = Tajny link pozwala osobie bez konta (testerowi, klientowi) ominąć stronę przerwy technicznej, dopóki link nie wygaśnie lub nie zostanie unieważniony.
admin-bypass-ttl = Ważny przez
admin-bypass-label = Dla kogo lub do czego
admin-bypass-next = Strona docelowa (ścieżka, np. /checkout)
admin-bypass-create = Utwórz link
admin-bypass-new = Nowy link, wyświetlany tylko ten jeden raz: udostępniaj go ostrożnie, jak hasło.
admin-bypass-none = Nie ma jeszcze żadnych linków dostępu.
admin-bypass-revoke = Unieważnij
admin-bypass-active = aktywny
admin-bypass-expired = wygasł
admin-bypass-revoked = unieważniony
# $at is a date and time in UTC.
admin-bypass-until = do { $at }
admin-history-heading = Historia
admin-history-none = Nie ma jeszcze żadnych zmian.
admin-history-when = Kiedy
admin-history-who = Kto
admin-history-what = Co
admin-history-why = Dlaczego
admin-history-on = włączono
admin-history-off = wyłączono
admin-notice-saved = Zapisano. Wszystkie serwery uwzględnią zmianę w ciągu chwili.
admin-notice-revoked = Link został unieważniony na wszystkich serwerach.
# $version is the current version number.
admin-error-stale = W międzyczasie ktoś inny zmienił stan (obecnie jest to wersja { $version }). Niczego nie zmieniono: sprawdź stan poniżej i spróbuj ponownie.
# $detail lists the refused values (in English).
admin-error-invalid = Niczego nie zmieniono: { $detail }
admin-error-expired-form = Ten formularz wygasł. Niczego nie zmieniono: odśwież stronę i spróbuj ponownie.
# $who is the logged-in person.
admin-error-not-superuser = Zalogowano jako { $who }, ale to konto nie ma uprawnień superużytkownika tej witryny.
admin-error-unavailable = Baza danych jest w tej chwili nieosiągalna. Niczego nie zmieniono; spróbuj ponownie za chwilę.
