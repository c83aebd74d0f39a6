"""How Run Groups' scripts and tests start Debian's chromium under Playwright.

`playwright install` downloads browsers and fails on machines without that
network access; Debian's `chromium` package is used instead, with flags that
keep it from reaching for Google's services on a closed network.
"""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
