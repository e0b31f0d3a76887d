## Сообщения чата для вебхуков с format=slack

chat-until = до { $end }
chat-until-further-notice = до особого уведомления
chat-mode-full = сайт закрыт для посетителей
chat-mode-read-only = посетители могут читать, но ничего не могут изменить
chat-mode-hold = запросы посетителей ждут окончания работ
chat-scheduled = Техническое обслуживание запланировано с { $start } ({ $until }): { $what }
chat-reminder = Техническое обслуживание начнётся через { $in }: { $what } ({ $until })
chat-started = Техническое обслуживание началось: { $what } ({ $until })
chat-ended = Техническое обслуживание завершено: сайт снова работает.
chat-ended-after = Техническое обслуживание завершено через { $lasted }: сайт снова работает.
chat-changed-scheduled = { $actor } изменил(а) окно обслуживания: с { $start } ({ $until }): { $what }
chat-changed-active = { $actor } изменил(а) окно обслуживания: идёт сейчас ({ $until }): { $what }
chat-changed-off = { $actor } изменил(а) окно обслуживания: оно выключено.
chat-by = Кто: { $actor }.
chat-reason = Причина: { $reason }
chat-late = Отправлено с опозданием: это произошло { $at }.
