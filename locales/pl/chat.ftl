## Wiadomości czatu webhooków z format=slack

chat-until = do { $end }
chat-until-further-notice = do odwołania
chat-mode-full = strona jest zamknięta dla odwiedzających
chat-mode-read-only = odwiedzający mogą czytać, ale niczego nie zmienią
chat-mode-hold = żądania odwiedzających czekają do końca prac
chat-scheduled = Prace konserwacyjne zaplanowane od { $start } ({ $until }): { $what }
chat-reminder = Prace konserwacyjne zaczną się za { $in }: { $what } ({ $until })
chat-started = Prace konserwacyjne rozpoczęły się: { $what } ({ $until })
chat-ended = Prace konserwacyjne zakończone: strona znów działa.
chat-ended-after = Prace konserwacyjne zakończone po { $lasted }: strona znów działa.
chat-changed-scheduled = { $actor } zmienił(a) okno prac: od { $start } ({ $until }): { $what }
chat-changed-active = { $actor } zmienił(a) okno prac: trwa teraz ({ $until }): { $what }
chat-changed-off = { $actor } zmienił(a) okno prac: jest wyłączone.
chat-by = Przez: { $actor }.
chat-reason = Powód: { $reason }
chat-late = Wysłano z opóźnieniem: stało się to { $at }.
