## Chat-Nachrichten der Webhooks mit format=slack

chat-until = bis { $end }
chat-until-further-notice = bis auf Weiteres
chat-mode-full = die Website ist für Besucher geschlossen
chat-mode-read-only = Besucher können lesen, aber nichts ändern
chat-mode-hold = Anfragen der Besucher warten, bis sie vorbei ist
chat-scheduled = Wartung geplant ab { $start } ({ $until }): { $what }
chat-reminder = Die Wartung beginnt in { $in }: { $what } ({ $until })
chat-started = Die Wartung hat begonnen: { $what } ({ $until })
chat-ended = Die Wartung ist vorbei: die Website ist wieder da.
chat-ended-after = Die Wartung ist nach { $lasted } vorbei: die Website ist wieder da.
chat-changed-scheduled = { $actor } hat das Wartungsfenster geändert: ab { $start } ({ $until }): { $what }
chat-changed-active = { $actor } hat das Wartungsfenster geändert: jetzt aktiv ({ $until }): { $what }
chat-changed-off = { $actor } hat das Wartungsfenster geändert: es ist aus.
chat-by = Von { $actor }.
chat-reason = Grund: { $reason }
chat-late = Verspätet gesendet: das geschah am { $at }.
