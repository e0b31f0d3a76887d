## Mensagens de chat dos webhooks com format=slack

chat-until = até { $end }
chat-until-further-notice = até segunda ordem
chat-mode-full = o site está fechado para visitantes
chat-mode-read-only = os visitantes podem ler, mas não alterar nada
chat-mode-hold = as solicitações dos visitantes aguardam até o fim
chat-scheduled = Manutenção agendada a partir de { $start } ({ $until }): { $what }
chat-reminder = A manutenção começa em { $in }: { $what } ({ $until })
chat-started = A manutenção começou: { $what } ({ $until })
chat-ended = A manutenção terminou: o site está de volta.
chat-ended-after = A manutenção terminou após { $lasted }: o site está de volta.
chat-changed-scheduled = { $actor } alterou a janela de manutenção: a partir de { $start } ({ $until }): { $what }
chat-changed-active = { $actor } alterou a janela de manutenção: ativa agora ({ $until }): { $what }
chat-changed-off = { $actor } alterou a janela de manutenção: está desativada.
chat-by = Por { $actor }.
chat-reason = Motivo: { $reason }
chat-late = Enviado com atraso: isso aconteceu em { $at }.
