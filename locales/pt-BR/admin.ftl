## The admin page (/maintenance/admin), for superusers

admin-title = Modo de manutenção
admin-heading = Modo de manutenção
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Conectado como { $who }
admin-logout = Sair
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Ninguém consegue entrar nesta página: nenhum provedor de identidade está configurado neste site.
admin-no-login-heading = Entrar com seu provedor de identidade
admin-no-login-oidc = Adicione seu provedor OpenID Connect ao comando que inicia o downtime (ou defina as variáveis DOWNTIME_OIDC_* correspondentes) e indique quem é superusuário:
# $callback is a URL.
admin-no-login-redirect = No provedor, registre { $callback } como URI de redirecionamento deste cliente.
admin-no-login-cli-heading = Ou dispense o login
admin-no-login-cli = Quem tem acesso ao banco de dados do downtime (a mesma --database-url) pode ligar e desligar a manutenção pela linha de comando e distribuir links de acesso que permitem passar pela página de manutenção:
admin-now-heading = Situação atual
admin-phase-off = Desativada: os visitantes usam o site normalmente.
admin-phase-active = Ativada: os visitantes veem a página de manutenção.
# $start is a date and time in UTC.
admin-phase-scheduled = Programada: os visitantes verão a página de manutenção a partir de { $start }.
admin-phase-ended = A janela de manutenção terminou: os visitantes usam o site normalmente.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Versão { $version }, alterada por { $who } em { $at }
admin-switch-on = Ativar a manutenção
admin-switch-off = Desativar a manutenção
admin-settings-heading = Configurações da janela de manutenção
admin-mode = O que os visitantes podem fazer
admin-mode-full = Nada: o site inteiro fica fechado
admin-mode-read-only = Ler, mas sem alterar nada
admin-mode-hold = Aguardar: as requisições ficam retidas até o fim da janela (para trabalhos curtos)
admin-message = Mensagem para os visitantes (texto simples)
admin-starts-at = Começa em (UTC; vazio: imediatamente)
admin-ends-at = Termina em (UTC; vazio: ao ser desativada)
admin-scope = Fechar somente estes caminhos, um por linha (vazio: o site inteiro)
admin-open-paths = Manter estes caminhos abertos, um por linha
admin-allowed-ips = Deixar passar estas redes de clientes (CIDR), uma por linha
admin-status-code = Código de status das respostas às requisições bloqueadas
admin-retry-after = Segundos de espera informados aos clientes, enquanto nenhum término estiver definido
admin-hold-timeout = Segundos que cada requisição retida aguarda antes de ver a página
admin-reason = Motivo (fica registrado no histórico)
admin-save = Salvar as configurações
admin-bypass-heading = Links de acesso
admin-bypass-intro = Um link secreto permite que alguém sem conta (um testador, um cliente) passe pela página de manutenção até que ele expire ou seja revogado.
admin-bypass-ttl = Válido por
admin-bypass-label = Para quem ou para quê
admin-bypass-next = Página que ele abre (um caminho como /checkout)
admin-bypass-create = Criar um link
admin-bypass-new = O novo link, exibido somente desta vez: compartilhe-o com o mesmo cuidado que uma senha.
admin-bypass-none = Ainda não há links de acesso.
admin-bypass-revoke = Revogar
admin-bypass-active = ativo
admin-bypass-expired = expirado
admin-bypass-revoked = revogado
# $at is a date and time in UTC.
admin-bypass-until = até { $at }
admin-history-heading = Histórico
admin-history-none = Ainda não há alterações.
admin-history-when = Quando
admin-history-who = Quem
admin-history-what = O quê
admin-history-why = Por quê
admin-history-on = ativada
admin-history-off = desativada
admin-notice-saved = Salvo. Todos os servidores aplicam a alteração em instantes.
admin-notice-revoked = O link foi revogado em todos os servidores.
# $version is the current version number.
admin-error-stale = Outra pessoa alterou o estado nesse meio-tempo (agora ele está na versão { $version }). Nada foi alterado: confira o estado abaixo e tente novamente.
# $detail lists the refused values (in English).
admin-error-invalid = Nada foi alterado: { $detail }
admin-error-expired-form = Este formulário expirou. Nada foi alterado: recarregue a página e tente novamente.
# $who is the logged-in person.
admin-error-not-superuser = { $who } está conectado, mas não é superusuário deste site.
admin-error-unavailable = Não é possível acessar o banco de dados no momento. Nada foi alterado; tente novamente em instantes.
