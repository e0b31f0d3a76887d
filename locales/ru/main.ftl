# The language's own name, shown in the language switcher.
language-name = Русский

## The maintenance page

page-title = Технические работы
page-heading = Скоро вернёмся
page-intro = На сайте проводятся технические работы. Спасибо за терпение.
page-intro-read-only = На время технических работ сайт доступен только для чтения: вы можете просматривать страницы, но внесение изменений временно приостановлено.
page-scope = На время технических работ закрыты только эти разделы сайта; всё остальное работает как обычно:
page-message-label = Сообщение от команды
# $end is a date and time, already formatted.
page-expected-end = Ожидаемое время завершения: { $end }
page-countdown-label = Оставшееся время
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Пожалуйста, повторите попытку позже. Примерное время ожидания: { $duration }.
page-retry-link = Повторить сейчас
page-auto-reload = Эта страница регулярно проверяет состояние сайта и автоматически вернёт вас на него, как только он снова станет доступен.
page-back = Технические работы завершены. Возвращаем вас на сайт…
page-language-label = Язык

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } минута
    [few] { $count } минуты
    [many] { $count } минут
   *[other] { $count } минуты
}
duration-hours = { $count ->
    [one] { $count } час
    [few] { $count } часа
    [many] { $count } часов
   *[other] { $count } часа
}
duration-days = { $count ->
    [one] { $count } день
    [few] { $count } дня
    [many] { $count } дней
   *[other] { $count } дня
}

## The JSON problem document sent to API clients

problem-title = Сервис недоступен из-за технических работ
problem-detail = Сервис временно недоступен из-за технических работ. Повторите попытку позже.
problem-detail-read-only = На время технических работ сервис доступен только для чтения, поэтому изменения пока не принимаются. Повторите попытку позже.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Сайт недоступен
unreachable-heading = Сайт сейчас не отвечает
unreachable-intro = Приложение по этому адресу недоступно. Это не плановые технические работы, и обычно проблема быстро устраняется.
unreachable-retry-link = Повторить попытку
unreachable-auto-reload = Эта страница автоматически повторяет попытку каждые 30 секунд.
unreachable-problem-title = Сайт недоступен
unreachable-problem-detail = Приложение за этим сервером не отвечает. Повторите попытку чуть позже.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Запланированы технические работы с { $start } до { $end }.
banner-from = Запланированы технические работы начиная с { $start }.
banner-dismiss = Закрыть
