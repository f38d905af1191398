"""Operations: structured logs without personal data, Prometheus metrics, readiness."""
