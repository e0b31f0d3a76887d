## The admin page (/maintenance/admin), for superusers

admin-title = Modo de mantenimiento
admin-heading = Modo de mantenimiento
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Sesión iniciada como { $who }
admin-logout = Cerrar sesión
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Nadie puede iniciar sesión en esta página: este sitio no tiene configurado ningún proveedor de identidad.
admin-no-login-heading = Iniciar sesión con su proveedor de identidad
admin-no-login-oidc = Añada su proveedor OpenID Connect al comando que inicia downtime (o defina las variables DOWNTIME_OIDC_* correspondientes) e indique quién es superusuario:
# $callback is a URL.
admin-no-login-redirect = En el proveedor, registre { $callback } como URI de redirección de este cliente.
admin-no-login-cli-heading = O prescinda del inicio de sesión
admin-no-login-cli = Quien tenga acceso a la base de datos de downtime (la misma --database-url) puede activar y desactivar el mantenimiento desde la línea de comandos y repartir enlaces de acceso que permiten saltarse la página de mantenimiento:
admin-now-heading = Ahora mismo
admin-phase-off = Desactivado: los visitantes usan el sitio con normalidad.
admin-phase-active = Activado: los visitantes ven la página de mantenimiento.
# $start is a date and time in UTC.
admin-phase-scheduled = Programado: los visitantes verán la página de mantenimiento a partir del { $start }.
admin-phase-ended = La ventana de mantenimiento ha terminado: los visitantes usan el sitio con normalidad.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Versión { $version }, modificada por { $who } el { $at }
admin-switch-on = Activar el mantenimiento
admin-switch-off = Desactivar el mantenimiento
admin-settings-heading = Ajustes de la ventana de mantenimiento
admin-mode = Qué pueden hacer los visitantes
admin-mode-full = Nada: todo el sitio está cerrado
admin-mode-read-only = Leer, pero sin cambiar nada
admin-mode-hold = Esperar: las solicitudes se retienen hasta que termine la ventana (para trabajos cortos)
admin-message = Mensaje para los visitantes (texto sin formato)
admin-starts-at = Comienza (UTC; vacío: de inmediato)
admin-ends-at = Termina (UTC; vacío: al desactivarlo)
admin-scope = Cerrar solo estas rutas, una por línea (vacío: todo el sitio)
admin-open-paths = Mantener abiertas estas rutas, una por línea
admin-allowed-ips = Dejar pasar estas redes de clientes (CIDR), una por línea
admin-status-code = Código de estado de las respuestas a las solicitudes bloqueadas
admin-retry-after = Segundos de espera que se indican a los clientes mientras no haya un fin definido
admin-hold-timeout = Segundos que cada solicitud espera retenida antes de ver la página
admin-reason = Motivo (se guarda en el historial)
admin-save = Guardar los ajustes
admin-bypass-heading = Enlaces de acceso
admin-bypass-intro = Un enlace secreto permite a alguien sin cuenta (un tester, un cliente) saltarse la página de mantenimiento hasta que caduque o se revoque.
admin-bypass-ttl = Válido durante
admin-bypass-label = Para quién o para qué es
admin-bypass-next = Página que abre (una ruta como /checkout)
admin-bypass-create = Crear un enlace
admin-bypass-new = El nuevo enlace, que solo se muestra esta vez: compártalo con el mismo cuidado que una contraseña.
admin-bypass-none = Todavía no hay enlaces de acceso.
admin-bypass-revoke = Revocar
admin-bypass-active = activo
admin-bypass-expired = caducado
admin-bypass-revoked = revocado
# $at is a date and time in UTC.
admin-bypass-until = hasta el { $at }
admin-history-heading = Historial
admin-history-none = Todavía no hay cambios.
admin-history-when = Cuándo
admin-history-who = Quién
admin-history-what = Qué
admin-history-why = Por qué
admin-history-on = activado
admin-history-off = desactivado
admin-notice-saved = Guardado. Todos los servidores aplicarán el cambio en unos instantes.
admin-notice-revoked = El enlace se ha revocado en todos los servidores.
# $version is the current version number.
admin-error-stale = Otra persona ha cambiado el estado mientras tanto (ahora está en la versión { $version }). No se ha cambiado nada: compruebe el estado a continuación y vuelva a intentarlo.
# $detail lists the refused values (in English).
admin-error-invalid = No se ha cambiado nada: { $detail }
admin-error-expired-form = Este formulario ha caducado. No se ha cambiado nada: recargue la página y vuelva a intentarlo.
# $who is the logged-in person.
admin-error-not-superuser = { $who } ha iniciado sesión, pero no es superusuario de este sitio.
admin-error-unavailable = No se puede acceder a la base de datos en este momento. No se ha cambiado nada; vuelva a intentarlo en unos instantes.
