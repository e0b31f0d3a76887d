# The language's own name, shown in the language switcher.
language-name = Español

## The maintenance page

page-title = En mantenimiento
page-heading = Volveremos pronto
page-intro = Este sitio está fuera de servicio por mantenimiento. Gracias por su paciencia.
page-intro-read-only = Este sitio está en modo de solo lectura durante el mantenimiento: puede navegar por él, pero los cambios están en pausa por ahora.
page-scope = Solo estas partes del sitio están cerradas por mantenimiento; el resto funciona con normalidad:
page-message-label = Un mensaje del equipo
# $end is a date and time, already formatted.
page-expected-end = Regreso previsto: { $end }
page-countdown-label = Tiempo restante
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Vuelva a intentarlo dentro de { $duration }.
page-retry-link = Reintentar ahora
page-auto-reload = Esta página comprueba el estado con regularidad y volverá automáticamente al sitio en cuanto esté disponible de nuevo.
page-back = El mantenimiento ha finalizado. Volviendo al sitio…
page-language-label = Idioma

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } minuto
   *[other] { $count } minutos
}
duration-hours = { $count ->
    [one] { $count } hora
   *[other] { $count } horas
}
duration-days = { $count ->
    [one] { $count } día
   *[other] { $count } días
}

## The JSON problem document sent to API clients

problem-title = Servicio no disponible por mantenimiento
problem-detail = El servicio no está disponible por mantenimiento. Vuelva a intentarlo más tarde.
problem-detail-read-only = El servicio está en modo de solo lectura durante el mantenimiento, por lo que los cambios se rechazan por ahora. Vuelva a intentarlo más tarde.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Sitio no disponible
unreachable-heading = El sitio no responde en este momento
unreachable-intro = No se puede acceder a la aplicación que hay detrás de esta dirección. No se trata de un mantenimiento programado y suele resolverse rápidamente.
unreachable-retry-link = Reintentar
unreachable-auto-reload = Esta página vuelve a intentarlo automáticamente cada 30 segundos.
unreachable-problem-title = Sitio no disponible
unreachable-problem-detail = La aplicación que hay detrás de este servidor no responde. Vuelva a intentarlo en unos instantes.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Hay un mantenimiento previsto desde el { $start } hasta el { $end }.
banner-from = Hay un mantenimiento previsto a partir del { $start }.
banner-dismiss = Cerrar
