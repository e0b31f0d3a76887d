## The admin page (/maintenance/admin), for superusers

admin-title = Modalità manutenzione
admin-heading = Modalità manutenzione
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Accesso effettuato come { $who }
admin-logout = Esci
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Nessuno può accedere a questa pagina: su questo sito non è configurato alcun provider di identità.
admin-no-login-heading = Accedi con il tuo provider di identità
admin-no-login-oidc = Aggiungi il tuo provider OpenID Connect al comando che avvia downtime (oppure imposta le variabili DOWNTIME_OIDC_* corrispondenti) e indica chi è superutente:
# $callback is a URL.
admin-no-login-redirect = Presso il provider, registra { $callback } come URI di reindirizzamento di questo client.
admin-no-login-cli-heading = Oppure fai a meno dell’accesso
admin-no-login-cli = Chi raggiunge il database di downtime (la stessa --database-url) può attivare e disattivare la manutenzione dalla riga di comando e distribuire link di bypass che permettono di superare la pagina di manutenzione:
admin-now-heading = Stato attuale
admin-phase-off = Disattivata: i visitatori usano il sito normalmente.
admin-phase-active = Attiva: i visitatori vedono la pagina di manutenzione.
# $start is a date and time in UTC.
admin-phase-scheduled = Programmata: i visitatori vedranno la pagina di manutenzione a partire dal { $start }.
admin-phase-ended = La finestra di manutenzione è terminata: i visitatori usano il sito normalmente.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Versione { $version }, modificata da { $who } il { $at }
admin-switch-on = Attiva la manutenzione
admin-switch-off = Disattiva la manutenzione
admin-settings-heading = Impostazioni della finestra di manutenzione
admin-mode = Cosa possono fare i visitatori
admin-mode-full = Niente: l’intero sito è chiuso
admin-mode-read-only = Leggere, ma non modificare nulla
admin-mode-hold = Attendere: le richieste restano in attesa fino alla fine della finestra (per lavori brevi)
admin-message = Messaggio per i visitatori (testo semplice)
admin-starts-at = Inizio (UTC; vuoto: subito)
admin-ends-at = Fine (UTC; vuoto: alla disattivazione)
admin-scope = Chiudi solo questi percorsi, uno per riga (vuoto: l’intero sito)
admin-open-paths = Lascia aperti questi percorsi, uno per riga
admin-allowed-ips = Lascia passare queste reti client (CIDR), una per riga
admin-status-code = Codice di stato delle risposte alle richieste bloccate
admin-retry-after = Secondi di attesa comunicati ai client, finché non è impostata una fine
admin-hold-timeout = Secondi di attesa di ogni richiesta trattenuta prima di vedere la pagina
admin-reason = Motivo (conservato nella cronologia)
admin-save = Salva le impostazioni
admin-bypass-heading = Link di bypass
admin-bypass-intro = Un link segreto consente a chi non ha un account (un tester, un cliente) di superare la pagina di manutenzione finché non scade o viene revocato.
admin-bypass-ttl = Valido per
admin-bypass-label = Per chi o per cosa è
admin-bypass-next = Pagina di destinazione (un percorso come /checkout)
admin-bypass-create = Crea un link
admin-bypass-new = Il nuovo link, mostrato solo questa volta: condividilo con la stessa cura di una password.
admin-bypass-none = Ancora nessun link di bypass.
admin-bypass-revoke = Revoca
admin-bypass-active = attivo
admin-bypass-expired = scaduto
admin-bypass-revoked = revocato
# $at is a date and time in UTC.
admin-bypass-until = fino al { $at }
admin-history-heading = Cronologia
admin-history-none = Ancora nessuna modifica.
admin-history-when = Quando
admin-history-who = Chi
admin-history-what = Cosa
admin-history-why = Perché
admin-history-on = attivata
admin-history-off = disattivata
admin-notice-saved = Salvato. Tutti i server applicano la modifica in pochi istanti.
admin-notice-revoked = Il link è stato revocato su tutti i server.
# $version is the current version number.
admin-error-stale = Nel frattempo qualcun altro ha modificato lo stato (ora è alla versione { $version }). Non è stato modificato nulla: controlla lo stato qui sotto, poi riprova.
# $detail lists the refused values (in English).
admin-error-invalid = Non è stato modificato nulla: { $detail }
admin-error-expired-form = Questo modulo è scaduto. Non è stato modificato nulla: ricarica la pagina e riprova.
# $who is the logged-in person.
admin-error-not-superuser = { $who } ha effettuato l’accesso, ma non è un superutente di questo sito.
admin-error-unavailable = Al momento il database non è raggiungibile. Non è stato modificato nulla; riprova tra poco.
