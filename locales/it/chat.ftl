## Messaggi di chat dei webhook con format=slack

chat-until = fino alle { $end }
chat-until-further-notice = fino a nuovo avviso
chat-mode-full = il sito è chiuso ai visitatori
chat-mode-read-only = i visitatori possono leggere ma non modificare nulla
chat-mode-hold = le richieste dei visitatori attendono la fine
chat-scheduled = Manutenzione programmata dalle { $start } ({ $until }): { $what }
chat-reminder = La manutenzione inizia tra { $in }: { $what } ({ $until })
chat-started = La manutenzione è iniziata: { $what } ({ $until })
chat-ended = La manutenzione è finita: il sito è di nuovo disponibile.
chat-ended-after = La manutenzione è finita dopo { $lasted }: il sito è di nuovo disponibile.
chat-changed-scheduled = { $actor } ha modificato la finestra di manutenzione: dalle { $start } ({ $until }): { $what }
chat-changed-active = { $actor } ha modificato la finestra di manutenzione: attiva ora ({ $until }): { $what }
chat-changed-off = { $actor } ha modificato la finestra di manutenzione: è disattivata.
chat-by = Da { $actor }.
chat-reason = Motivo: { $reason }
chat-late = Inviato in ritardo: è successo il { $at }.
