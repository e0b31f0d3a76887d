# The language's own name, shown in the language switcher.
language-name = English

## The maintenance page

page-title = Down for maintenance
page-heading = We’ll be back soon
page-intro = This site is down for maintenance. Thank you for your patience.
page-intro-read-only = This site is in read-only mode during maintenance: you can browse, but changes are paused for now.
page-scope = Only these parts of the site are closed for maintenance; the rest works as usual:
page-message-label = A note from the team
# $end is a date and time, already formatted.
page-expected-end = Expected back by { $end }
page-countdown-label = Time remaining
# $duration is a duration such as "5 minutes" (see the duration-* messages).
page-retry-hint = Please try again in { $duration }.
page-retry-link = Try again now
page-auto-reload = This page checks the status regularly and takes you back as soon as the site is available again.
page-back = Maintenance is over. Taking you back…
page-language-label = Language

## Durations, used inside other messages

duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
duration-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}

## The JSON problem document sent to API clients

problem-title = Service unavailable for maintenance
problem-detail = The service is down for maintenance. Please try again later.
problem-detail-read-only = The service is read-only during maintenance, so changes are refused for now. Please try again later.

## The page and problem document when the app behind a proxying downtime does not answer

unreachable-title = Site unreachable
unreachable-heading = The site is not answering right now
unreachable-intro = The application behind this address cannot be reached. This is not planned maintenance, and it is usually resolved quickly.
unreachable-retry-link = Try again
# The page reloads itself every 30 seconds.
unreachable-auto-reload = This page tries again by itself every 30 seconds.
unreachable-problem-title = Site unreachable
unreachable-problem-detail = The application behind this server is not answering. Please try again shortly.

# The announcement banner (/maintenance/banner.js) on the site's own pages.
banner-window = Maintenance is planned from { $start } to { $end }.
banner-from = Maintenance is planned from { $start }.
banner-dismiss = Dismiss
