#!/bin/sh
# Create the gcu-review namespace, or bring its retention period in line with NAMESPACE_RETENTION.
# Retention is how long Temporal keeps the history of a closed workflow (a finished review); the
# database keeps the review, its decisions and the audit trail regardless.
set -eu

: "${TEMPORAL_ADDRESS:?}"
: "${NAMESPACE:?}"
RETENTION="${NAMESPACE_RETENTION:-720h}"

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "temporal-namespace: $NAMESPACE exists; retention $RETENTION"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    --description "gcu-review: SGBC/CAC compliance reviews"
  echo "temporal-namespace: $NAMESPACE created; retention $RETENTION"
fi
