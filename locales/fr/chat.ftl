## Messages de discussion des webhooks avec format=slack

chat-until = jusqu’à { $end }
chat-until-further-notice = jusqu’à nouvel ordre
chat-mode-full = le site est fermé aux visiteurs
chat-mode-read-only = les visiteurs peuvent lire mais rien modifier
chat-mode-hold = les requêtes des visiteurs attendent la fin
chat-scheduled = Maintenance prévue à partir de { $start } ({ $until }) : { $what }
chat-reminder = La maintenance commence dans { $in } : { $what } ({ $until })
chat-started = La maintenance a commencé : { $what } ({ $until })
chat-ended = La maintenance est terminée : le site est de retour.
chat-ended-after = La maintenance est terminée après { $lasted } : le site est de retour.
chat-changed-scheduled = { $actor } a modifié la fenêtre de maintenance : à partir de { $start } ({ $until }) : { $what }
chat-changed-active = { $actor } a modifié la fenêtre de maintenance : en cours ({ $until }) : { $what }
chat-changed-off = { $actor } a modifié la fenêtre de maintenance : elle est désactivée.
chat-by = Par { $actor }.
chat-reason = Motif : { $reason }
chat-late = Envoyé en retard : c’est arrivé le { $at }.
