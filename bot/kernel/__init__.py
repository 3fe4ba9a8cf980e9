"""The shared kernel every capability uses: replies, texts, clock, outbox, formats."""
