# The language's own name, shown in the language switcher.
language-name = Português (Brasil)

## The maintenance page

page-title = Em manutenção
page-heading = Voltaremos em breve
page-intro = Este site está fora do ar para manutenção. Agradecemos a sua paciência.
page-intro-read-only = Este site está em modo somente leitura durante a manutenção: você pode navegar, mas as alterações estão pausadas por enquanto.
page-scope = Somente estas partes do site estão fechadas para manutenção; o restante funciona normalmente:
page-message-label = Um recado da equipe
# $end is a date and time, already formatted.
page-expected-end = Previsão de retorno: { $end }
page-countdown-label = Tempo restante
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Tente novamente em { $duration }.
page-retry-link = Tentar novamente agora
page-auto-reload = Esta página verifica o status regularmente e levará você de volta assim que o site estiver disponível novamente.
page-back = A manutenção terminou. Levando você de volta…
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
    [one] { $count } dia
   *[other] { $count } dias
}

## The JSON problem document sent to API clients

problem-title = Serviço indisponível devido à manutenção
problem-detail = O serviço está em manutenção. Tente novamente mais tarde.
problem-detail-read-only = O serviço está em modo somente leitura durante a manutenção, por isso as alterações estão sendo recusadas no momento. Tente novamente mais tarde.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Site inacessível
unreachable-heading = O site não está respondendo no momento
unreachable-intro = Não foi possível acessar a aplicação por trás deste endereço. Não se trata de uma manutenção programada, e isso costuma ser resolvido rapidamente.
unreachable-retry-link = Tentar novamente
unreachable-auto-reload = Esta página tenta novamente sozinha a cada 30 segundos.
unreachable-problem-title = Site inacessível
unreachable-problem-detail = A aplicação por trás deste servidor não está respondendo. Tente novamente em instantes.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Há uma manutenção programada de { $start } até { $end }.
banner-from = Há uma manutenção programada a partir de { $start }.
banner-dismiss = Fechar
