## Mensajes de chat de los webhooks con format=slack

chat-until = hasta { $end }
chat-until-further-notice = hasta nuevo aviso
chat-mode-full = el sitio está cerrado a los visitantes
chat-mode-read-only = los visitantes pueden leer pero no cambiar nada
chat-mode-hold = las solicitudes de los visitantes esperan hasta que termine
chat-scheduled = Mantenimiento programado desde { $start } ({ $until }): { $what }
chat-reminder = El mantenimiento empieza en { $in }: { $what } ({ $until })
chat-started = El mantenimiento ha empezado: { $what } ({ $until })
chat-ended = El mantenimiento ha terminado: el sitio ha vuelto.
chat-ended-after = El mantenimiento ha terminado tras { $lasted }: el sitio ha vuelto.
chat-changed-scheduled = { $actor } cambió la ventana de mantenimiento: desde { $start } ({ $until }): { $what }
chat-changed-active = { $actor } cambió la ventana de mantenimiento: activa ahora ({ $until }): { $what }
chat-changed-off = { $actor } cambió la ventana de mantenimiento: está desactivada.
chat-by = Por { $actor }.
chat-reason = Motivo: { $reason }
chat-late = Enviado con retraso: ocurrió el { $at }.
