// French (Canada): the reference dictionary. Every other language must have exactly these keys
// (checked by TypeScript through `Messages`, and by tests/i18n.test.ts).
export const fr = {
  "app.title": "PlaceForte",
  "nav.home": "Accueil",
  "nav.referrals": "Références",
  "nav.settings": "Paramètres",
  "nav.main": "Navigation principale",

  "net.online": "En ligne",
  "net.offline": "Hors ligne : vous travaillez sur la copie chiffrée de cet ordinateur",
  "net.unknown": "Connexion non vérifiée",

  "enrol.title": "Inscrire cet ordinateur",
  "enrol.intro":
    "Collez l’invitation reçue de l’exploitant du service. Elle ne sert qu’une fois et expire après quelques minutes.",
  "enrol.label": "Invitation",
  "enrol.submit": "Inscrire l’ordinateur",
  "enrol.working": "Inscription en cours…",
  "enrol.done": "Cet ordinateur est inscrit.",

  "home.title": "Accueil",
  "home.lastSync": "Dernière synchronisation : {when}",
  "home.neverSynced": "Jamais synchronisé",
  "home.cached": "{count} références dans la copie chiffrée de cet ordinateur",
  "home.sync": "Synchroniser",
  "home.syncing": "Synchronisation…",
  "home.syncProgress": "Progression de la synchronisation",
  "home.syncDone": "Synchronisation terminée : {referrals} références reçues, {sent} réponses envoyées.",
  "home.deadlines": "Références ouvertes par échéance",
  "home.overdue": "Échéance dépassée",
  "home.within3": "D’ici 3 jours",
  "home.within7": "D’ici 7 jours",
  "home.later": "Plus tard",
  "home.outbox": "Réponses en attente d’envoi : {pending}",
  "home.conflicts": "Réponses refusées par le service",
  "home.conflictHelp":
    "Le service a refusé ces réponses parce que la situation a changé. Ouvrez la référence pour voir son état actuel.",

  "list.title": "Références",
  "list.count": "{shown} sur {total}",
  "list.filterAge": "Groupe d’âge",
  "list.filterCategory": "Catégorie",
  "list.filterPriority": "Priorité",
  "list.filterStatus": "État",
  "list.sort": "Trier par",
  "list.all": "Tous",
  "list.priorityOnly": "Prioritaires seulement",
  "list.notPriority": "Non prioritaires",
  "list.sortDeadline": "Échéance",
  "list.sortRank": "Rang",
  "list.sortWaiting": "Attente",
  "list.sortLabel": "Nom",
  "list.colChild": "Enfant",
  "list.colAge": "Groupe d’âge",
  "list.colCategory": "Cat.",
  "list.colStatus": "État",
  "list.colDeadline": "Répondre au plus tard",
  "list.colReason": "Raison du rang",
  "list.empty": "Aucune référence ne correspond.",
  "list.pending": "Réponse en attente d’envoi",

  "referral.title": "Référence : {label}",
  "referral.back": "Retour à la liste",
  "referral.birth": "Date de naissance",
  "referral.desired": "Date d’entrée souhaitée",
  "referral.deadline": "Répondre au plus tard",
  "referral.category": "Catégorie",
  "referral.priority": "Référence prioritaire",
  "referral.sibling": "Un frère ou une sœur est aussi référé",
  "referral.reason": "Raison du rang",
  "referral.outcome": "Réponse de la famille",
  "referral.record": "Enregistrer la réponse",
  "referral.recorded": "Réponse enregistrée ; elle sera envoyée à la prochaine synchronisation.",
  "referral.refusalReason": "Motif du refus",

  "outcome.accepted": "Accepte la place",
  "outcome.refused": "Refuse la place",
  "outcome.no_answer": "Aucune réponse dans le délai",

  "refusal.no_longer_needed": "N’en a plus besoin",
  "refusal.accepted_elsewhere": "A accepté ailleurs",
  "refusal.schedule_or_distance": "Horaire ou distance",
  "refusal.start_earlier_than_wanted": "Entrée plus tôt que souhaité",
  "refusal.child_health": "Santé de l’enfant",
  "refusal.other": "Autre",

  "status.open": "En attente de réponse",
  "status.accepted": "Acceptée",
  "status.refused": "Refusée",
  "status.no_answer": "Sans réponse",
  "status.closed": "Fermée",

  "age.under_18_months": "Moins de 18 mois",
  "age.from_18_months_to_4_years": "18 mois à 4 ans",
  "age.four_years": "4 ans",
  "age.five_and_over": "5 ans et plus",
  "age.unknown": "Inconnu",

  "category.1": "Enfant d’un membre du personnel, même adresse qu’un enfant admis",
  "category.2": "Enfant d’un membre du personnel",
  "category.3": "Même adresse qu’un enfant admis",
  "category.4": "Pas déjà dans un CPE ou une garderie subventionnée",
  "category.5": "Autres enfants",

  "rank.within_places":
    "Rang {rank} : catégorie {category}, {days} jours depuis la date d’entrée souhaitée",
  "rank.priority_quota":
    "Rang {rank} : place prioritaire {seat} sur {seats}, {days} jours depuis la date d’entrée souhaitée",
  "rank.displaced_by_priority_quota":
    "Rang {rank} : catégorie {category}, devancé par une place prioritaire",
  "rank.waiting": "Rang {rank} : catégorie {category}, après les places offertes",

  "settings.title": "Paramètres",
  "settings.language": "Langue",
  "settings.certificate": "Certificat de cet ordinateur",
  "settings.certificateExpiry": "Valide jusqu’au {when} (renouvelé automatiquement)",
  "settings.notEnrolled": "Cet ordinateur n’est pas inscrit.",
  "settings.retention":
    "La copie chiffrée est effacée après {days} jours sans synchronisation réussie.",
  "settings.wipe": "Effacer les données de cet ordinateur",
  "settings.wipeHelp":
    "Supprime la copie chiffrée, l’inscription et les clés du trousseau. Les réponses non envoyées sont perdues.",
  "settings.wipeConfirm": "Oui, tout effacer",
  "settings.wipeCancel": "Annuler",
  "settings.wipeAsk": "Effacer toutes les données PlaceForte de cet ordinateur ?",

  "wiped.requested": "Les données de cet ordinateur ont été effacées à votre demande.",
  "wiped.revoked":
    "L’accès de cet ordinateur a été révoqué par l’exploitant. Ses données locales ont été effacées.",
  "wiped.retention_expired":
    "La copie locale a été effacée : aucune synchronisation réussie depuis trop longtemps.",
  "wiped.keychain_failure":
    "Le trousseau du système était inaccessible ; la copie locale a été effacée.",
  "wiped.key_missing": "La clé de la copie locale manquait ; la copie a été effacée.",
  "wiped.unreadable": "La copie locale était illisible ; elle a été effacée.",

  "nav.vacancies": "Places disponibles",
  "vacancy.title": "Places disponibles",
  "vacancy.intro":
    "Déclarez les places à combler. Le service central vous réfère aussitôt des familles selon l’ordre réglementaire (il faut être en ligne).",
  "vacancy.ageClass": "Groupe d’âge",
  "vacancy.places": "Nombre de places",
  "vacancy.start": "Date de début",
  "vacancy.declare": "Déclarer les places",
  "vacancy.declared": "Places déclarées : {referrals} familles référées, réponse attendue au plus tard le {when}.",
  "vacancy.session": "Déclarées depuis l’ouverture",
  "error.invalid_input": "Vérifiez les valeurs saisies.",
  "error.keychain_unavailable":
    "Le trousseau du système est verrouillé ou absent. Déverrouillez votre session et réessayez.",
  "error.local_data": "Les données locales sont inutilisables. Une synchronisation les rétablira.",
  "error.invalid_invitation":
    "Ce texte n’est pas une invitation PlaceForte. Copiez-la en entier, sans la modifier.",
  "error.not_enrolled": "Cet ordinateur n’est pas inscrit.",
  "error.server_unreachable":
    "Le service central est injoignable. Vérifiez la connexion Internet ; vous pouvez continuer hors ligne.",
  "error.server_not_trusted":
    "Le serveur n’est pas celui de l’invitation. Ne continuez pas et avisez l’exploitant.",
  "error.enrolment_refused":
    "Ce code d’inscription n’est plus valide (déjà utilisé ou expiré). Demandez-en un nouveau à l’exploitant.",
  "error.device_revoked":
    "L’accès de cet ordinateur a été révoqué. Ses données locales ont été effacées.",
  "error.certificate_expired": "Le certificat de cet ordinateur a expiré. Inscrivez-le de nouveau.",
  "error.unknown_referral": "Cette référence n’est pas dans la copie locale.",
  "error.refused": "Le service a refusé la demande.",
  "error.unexpected": "Une erreur inattendue est survenue.",
} as const;

export type MessageKey = keyof typeof fr;
export type Messages = Record<MessageKey, string>;
