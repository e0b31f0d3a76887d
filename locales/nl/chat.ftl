## Chatberichten van de webhooks met format=slack

chat-until = tot { $end }
chat-until-further-notice = tot nader bericht
chat-mode-full = de site is gesloten voor bezoekers
chat-mode-read-only = bezoekers kunnen lezen maar niets wijzigen
chat-mode-hold = verzoeken van bezoekers wachten tot het voorbij is
chat-scheduled = Onderhoud gepland vanaf { $start } ({ $until }): { $what }
chat-reminder = Het onderhoud begint over { $in }: { $what } ({ $until })
chat-started = Het onderhoud is begonnen: { $what } ({ $until })
chat-ended = Het onderhoud is voorbij: de site is terug.
chat-ended-after = Het onderhoud is na { $lasted } voorbij: de site is terug.
chat-changed-scheduled = { $actor } heeft het onderhoudsvenster gewijzigd: vanaf { $start } ({ $until }): { $what }
chat-changed-active = { $actor } heeft het onderhoudsvenster gewijzigd: nu actief ({ $until }): { $what }
chat-changed-off = { $actor } heeft het onderhoudsvenster gewijzigd: het staat uit.
chat-by = Door { $actor }.
chat-reason = Reden: { $reason }
chat-late = Te laat verzonden: dit gebeurde op { $at }.
