# The language's own name, shown in the language switcher.
language-name = Français

## The maintenance page

page-title = Maintenance en cours
page-heading = Nous revenons bientôt
page-intro = Ce site est actuellement en maintenance. Merci de votre patience.
page-intro-read-only = Ce site est en lecture seule pendant la maintenance : vous pouvez le consulter, mais les modifications sont suspendues pour le moment.
page-scope = Seules ces parties du site sont fermées pour maintenance ; le reste fonctionne normalement :
page-message-label = Un mot de l’équipe
# $end is a date and time, already formatted.
page-expected-end = Retour prévu : { $end }
page-countdown-label = Temps restant
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Veuillez réessayer dans { $duration }.
page-retry-link = Réessayer maintenant
page-auto-reload = Cette page vérifie régulièrement l’état du site et vous y ramène dès qu’il est de nouveau disponible.
page-back = La maintenance est terminée. Redirection en cours…
page-language-label = Langue

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-hours = { $count ->
    [one] { $count } heure
   *[other] { $count } heures
}
duration-days = { $count ->
    [one] { $count } jour
   *[other] { $count } jours
}

## The JSON problem document sent to API clients

problem-title = Service indisponible pour cause de maintenance
problem-detail = Le service est en maintenance. Veuillez réessayer plus tard.
problem-detail-read-only = Le service est en lecture seule pendant la maintenance, les modifications sont donc refusées pour le moment. Veuillez réessayer plus tard.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Site injoignable
unreachable-heading = Le site ne répond pas pour le moment
unreachable-intro = L’application derrière cette adresse est injoignable. Il ne s’agit pas d’une maintenance programmée, et le problème est généralement résolu rapidement.
unreachable-retry-link = Réessayer
unreachable-auto-reload = Cette page réessaie automatiquement toutes les 30 secondes.
unreachable-problem-title = Site injoignable
unreachable-problem-detail = L’application derrière ce serveur ne répond pas. Veuillez réessayer dans quelques instants.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Une maintenance est prévue du { $start } au { $end }.
banner-from = Une maintenance est prévue à partir du { $start }.
banner-dismiss = Fermer
