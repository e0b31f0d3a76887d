## Chat messages of the webhooks with format=slack, in the pages' default language.
## Times are written like 03:00 UTC, or 2026-12-04 03:00 UTC on another day.

# $end is a time.
chat-until = until { $end }
chat-until-further-notice = until further notice
# What a window does when it has no message of its own.
chat-mode-full = the site is closed to visitors
chat-mode-read-only = visitors can read but not change anything
chat-mode-hold = visitors’ requests wait until it is over
# $start is a time, $until is chat-until or chat-until-further-notice, $what the window's message or a chat-mode-* message.
chat-scheduled = Maintenance scheduled from { $start } ({ $until }): { $what }
# $in is a duration (see the duration-* messages).
chat-reminder = Maintenance starts in { $in }: { $what } ({ $until })
chat-started = Maintenance started: { $what } ({ $until })
chat-ended = Maintenance is over: the site is back.
# $lasted is a duration.
chat-ended-after = Maintenance is over after { $lasted }: the site is back.
# $actor is who made the change (an e-mail address, a client id, cli:<user>…).
chat-changed-scheduled = { $actor } changed the maintenance window: from { $start } ({ $until }): { $what }
chat-changed-active = { $actor } changed the maintenance window: on now ({ $until }): { $what }
chat-changed-off = { $actor } changed the maintenance window: it is off.
chat-by = By { $actor }.
# $reason is what the author of the change wrote.
chat-reason = Reason: { $reason }
# $at is a date and time: when it happened, long before this message.
chat-late = Sent late: this happened at { $at }.
