#!/usr/bin/env bash
# Sends a Stripe-signed test event about an order to a running stack (`make run`).
#
#   tools/send-test-webhook.sh ORDER_ID AMOUNT_MINOR [CURRENCY] [EVENT_TYPE] [BASE_URL]
#
# EVENT_TYPE: payment_intent.succeeded (default), payment_intent.amount_capturable_updated,
# payment_intent.payment_failed, payment_intent.canceled, charge.refunded.
# Signed with STRIPE_WEBHOOK_SECRET (default: the local stack's test secret). The event id is
# new on each call unless EVENT_ID names one: the same EVENT_ID again is a replay.
set -euo pipefail
order=${1:?usage: $0 ORDER_ID AMOUNT_MINOR [CURRENCY] [EVENT_TYPE] [BASE_URL]}
amount=${2:?usage: $0 ORDER_ID AMOUNT_MINOR [CURRENCY] [EVENT_TYPE] [BASE_URL]}
currency=${3:-usd}
type=${4:-payment_intent.succeeded}
base=${5:-http://127.0.0.1:${PORT:-3000}}
secret=${STRIPE_WEBHOOK_SECRET:-whsec_storesync_local_test_secret}
now=$(date +%s)
intent="pi_test_${order#ord_}"
if [ "$type" = charge.refunded ]; then
  object="{\"id\":\"ch_test_${order#ord_}\",\"object\":\"charge\",\"payment_intent\":\"$intent\",\"amount\":$amount,\"amount_refunded\":$amount,\"currency\":\"$currency\",\"metadata\":{\"order_id\":\"$order\"}}"
else
  object="{\"id\":\"$intent\",\"object\":\"payment_intent\",\"amount\":$amount,\"amount_received\":$amount,\"amount_capturable\":$amount,\"currency\":\"$currency\",\"metadata\":{\"order_id\":\"$order\"}}"
fi
event_id=${EVENT_ID:-evt_test_$(date +%s%N)}
body="{\"id\":\"$event_id\",\"object\":\"event\",\"type\":\"$type\",\"created\":$now,\"data\":{\"object\":$object}}"
signature=$(printf '%s.%s' "$now" "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= //')
curl -sS -X POST "$base/v1/webhooks/stripe" \
  -H 'Content-Type: application/json' \
  -H "Stripe-Signature: t=$now,v1=$signature" \
  --data-binary "$body"
echo
