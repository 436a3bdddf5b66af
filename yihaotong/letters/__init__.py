"""Letters by email: an IMAP poller that turns incoming mail into contacts waiting for an operator."""
