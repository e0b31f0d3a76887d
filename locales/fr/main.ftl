# The language's own name, shown in the language switcher.
language-name = Français

## The maintenance page

page-title = Maintenance en cours
page-heading = Nous revenons bientôt
page-intro = Ce site est actuellement en maintenance programmée. Merci de votre patience.
page-intro-read-only = Ce site est en lecture seule pendant la maintenance : vous pouvez le consulter, mais les modifications sont suspendues pour le moment.
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
