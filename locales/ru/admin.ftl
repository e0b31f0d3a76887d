## The admin page (/maintenance/admin), for superusers

admin-title = Режим технических работ
admin-heading = Режим технических работ
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Вы вошли как { $who }
admin-logout = Выйти
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Войти на эту страницу невозможно: на этом сайте не настроен поставщик удостоверений.
admin-no-login-heading = Вход через вашего поставщика удостоверений
admin-no-login-oidc = Добавьте вашего поставщика OpenID Connect в команду, которая запускает downtime (или задайте соответствующие переменные DOWNTIME_OIDC_*), и укажите, кто является суперпользователем:
# $callback is a URL.
admin-no-login-redirect = У поставщика зарегистрируйте { $callback } как URI перенаправления этого клиента.
admin-no-login-cli-heading = Или обойдитесь без входа
admin-no-login-cli = Любой, у кого есть доступ к базе данных downtime (тот же --database-url), может включать и выключать режим технических работ из командной строки и выдавать ссылки для обхода страницы технических работ:
admin-now-heading = Сейчас
admin-phase-off = Выключено: посетители пользуются сайтом как обычно.
admin-phase-active = Включено: посетители видят страницу технических работ.
# $start is a date and time in UTC.
admin-phase-scheduled = Запланировано: с { $start } посетители будут видеть страницу технических работ.
admin-phase-ended = Период технических работ завершён: посетители пользуются сайтом как обычно.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Версия { $version }, изменено: { $who }, { $at }
admin-switch-on = Включить режим технических работ
admin-switch-off = Выключить режим технических работ
admin-settings-heading = Параметры периода технических работ
admin-mode = Что могут делать посетители
admin-mode-full = Ничего: весь сайт закрыт
admin-mode-read-only = Читать, но ничего не изменять
admin-mode-hold = Ждать: запросы удерживаются до конца окна (для коротких работ)
admin-message = Сообщение для посетителей (обычный текст)
admin-starts-at = Начало (UTC; пусто — сразу)
admin-ends-at = Окончание (UTC; пусто — до выключения)
admin-scope = Закрыть только эти пути, по одному на строку (пусто — весь сайт)
admin-open-paths = Оставить открытыми эти пути, по одному на строку
admin-allowed-ips = Пропускать эти сети клиентов (CIDR), по одной на строку
admin-status-code = Код состояния в ответах на заблокированные запросы
admin-retry-after = Сколько секунд клиентам предлагается ждать, пока время окончания не задано
admin-hold-timeout = Сколько секунд каждый удерживаемый запрос ждёт, прежде чем увидит страницу
admin-reason = Причина (сохраняется в истории)
admin-save = Сохранить параметры
admin-bypass-heading = Ссылки для обхода
admin-bypass-intro = Секретная ссылка позволяет человеку без учётной записи (тестировщику, клиенту) обойти страницу технических работ, пока срок её действия не истечёт или её не отзовут.
admin-bypass-ttl = Срок действия
admin-bypass-label = Для кого или для чего
admin-bypass-next = Открываемая страница (путь, например /checkout)
admin-bypass-create = Создать ссылку
admin-bypass-new = Новая ссылка, показывается только один раз: передавайте её так же осторожно, как пароль.
admin-bypass-none = Ссылок для обхода пока нет.
admin-bypass-revoke = Отозвать
admin-bypass-active = активна
admin-bypass-expired = истекла
admin-bypass-revoked = отозвана
# $at is a date and time in UTC.
admin-bypass-until = до { $at }
admin-history-heading = История
admin-history-none = Изменений пока нет.
admin-history-when = Когда
admin-history-who = Кто
admin-history-what = Что
admin-history-why = Почему
admin-history-on = включено
admin-history-off = выключено
admin-notice-saved = Сохранено. Все серверы применят изменение в течение нескольких секунд.
admin-notice-revoked = Ссылка отозвана на всех серверах.
# $version is the current version number.
admin-error-stale = Кто-то другой уже изменил состояние (сейчас это версия { $version }). Ничего не изменено: проверьте состояние ниже и повторите попытку.
# $detail lists the refused values (in English).
admin-error-invalid = Ничего не изменено: { $detail }
admin-error-expired-form = Срок действия этой формы истёк. Ничего не изменено: перезагрузите страницу и повторите попытку.
# $who is the logged-in person.
admin-error-not-superuser = Вход выполнен как { $who }, но у этой учётной записи нет прав суперпользователя на этом сайте.
admin-error-unavailable = База данных сейчас недоступна. Ничего не изменено; повторите попытку чуть позже.
