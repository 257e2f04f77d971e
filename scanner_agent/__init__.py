"""Scanner agent: SANE devices, capture, barcode splitting, outbox and delivery (built in the capture issue)."""
