## The admin page (/maintenance/admin), for superusers

admin-title = Mode maintenance
admin-heading = Mode maintenance
# $who is the logged-in superuser (an e-mail address or a client id).
admin-logged-in-as = Connecté en tant que { $who }
admin-logout = Se déconnecter
# Shown at /maintenance/admin when no identity provider is configured.
admin-error-no-login = Personne ne peut se connecter à cette page : aucun fournisseur d’identité n’est configuré sur ce site.
admin-no-login-heading = Se connecter avec votre fournisseur d’identité
admin-no-login-oidc = Ajoutez votre fournisseur OpenID Connect à la commande qui lance downtime (ou définissez les variables DOWNTIME_OIDC_* correspondantes), et indiquez qui est superutilisateur :
# $callback is a URL.
admin-no-login-redirect = Chez le fournisseur, enregistrez { $callback } comme URI de redirection de ce client.
admin-no-login-cli-heading = Ou se passer de connexion
admin-no-login-cli = Toute personne qui accède à la base de données de downtime (la même --database-url) peut activer ou désactiver la maintenance en ligne de commande, et distribuer des liens de contournement qui permettent de passer la page de maintenance :
admin-now-heading = En ce moment
admin-phase-off = Désactivée : les visiteurs utilisent le site normalement.
admin-phase-active = Activée : les visiteurs voient la page de maintenance.
# $start is a date and time in UTC.
admin-phase-scheduled = Programmée : les visiteurs verront la page de maintenance à partir du { $start }.
admin-phase-ended = La fenêtre de maintenance est terminée : les visiteurs utilisent le site normalement.
# $version is a number, $who a person, $at a date and time in UTC.
admin-version = Version { $version }, modifiée par { $who } le { $at }
admin-switch-on = Activer la maintenance
admin-switch-off = Désactiver la maintenance
admin-settings-heading = Paramètres de la fenêtre de maintenance
admin-mode = Ce que les visiteurs peuvent faire
admin-mode-full = Rien : tout le site est fermé
admin-mode-read-only = Consulter, sans rien modifier
admin-mode-hold = Patienter : les requêtes sont retenues jusqu’à la fin de la fenêtre (pour les interventions courtes)
admin-message = Message aux visiteurs (texte brut)
admin-starts-at = Début (UTC ; vide : immédiatement)
admin-ends-at = Fin (UTC ; vide : à la désactivation)
admin-scope = Fermer uniquement ces chemins, un par ligne (vide : tout le site)
admin-open-paths = Laisser ces chemins ouverts, un par ligne
admin-allowed-ips = Laisser passer ces réseaux clients (CIDR), un par ligne
admin-status-code = Code de statut des réponses aux requêtes bloquées
admin-retry-after = Délai d’attente indiqué aux clients, en secondes, tant qu’aucune fin n’est définie
admin-hold-timeout = Secondes d’attente de chaque requête retenue avant d’afficher la page
admin-reason = Motif (conservé dans l’historique)
admin-save = Enregistrer les paramètres
admin-bypass-heading = Liens de contournement
admin-bypass-intro = Un lien secret permet à une personne sans compte (un testeur, un client) de passer la page de maintenance, jusqu’à ce qu’il expire ou soit révoqué.
admin-bypass-ttl = Valable pendant
admin-bypass-label = Pour qui ou pour quoi
admin-bypass-next = Page ouverte (un chemin comme /checkout)
admin-bypass-create = Créer un lien
admin-bypass-new = Le nouveau lien, affiché cette seule fois : traitez-le comme un mot de passe.
admin-bypass-none = Aucun lien de contournement pour l’instant.
admin-bypass-revoke = Révoquer
admin-bypass-active = actif
admin-bypass-expired = expiré
admin-bypass-revoked = révoqué
# $at is a date and time in UTC.
admin-bypass-until = jusqu’au { $at }
admin-history-heading = Historique
admin-history-none = Aucune modification pour l’instant.
admin-history-when = Quand
admin-history-who = Qui
admin-history-what = Quoi
admin-history-why = Pourquoi
admin-history-on = activée
admin-history-off = désactivée
admin-notice-saved = Enregistré. Tous les serveurs appliquent la modification en quelques instants.
admin-notice-revoked = Le lien est révoqué sur tous les serveurs.
# $version is the current version number.
admin-error-stale = Quelqu’un d’autre a modifié l’état entre-temps (il en est maintenant à la version { $version }). Rien n’a été modifié : vérifiez l’état ci-dessous, puis réessayez.
# $detail lists the refused values (in English).
admin-error-invalid = Rien n’a été modifié : { $detail }
admin-error-expired-form = Ce formulaire a expiré. Rien n’a été modifié : rechargez la page et réessayez.
# $who is the logged-in person.
admin-error-not-superuser = { $who } est connecté, mais n’est pas superutilisateur de ce site.
admin-error-unavailable = La base de données est injoignable pour le moment. Rien n’a été modifié ; réessayez dans quelques instants.
